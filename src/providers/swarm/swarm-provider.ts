import { dirname, join } from 'node:path';
import type { DesiredService, StopSpec } from '../../model/desired.js';
import type { ObservedService } from '../../model/observed.js';
import { cannotRun, OperationError, type OperationContext, type Provider, type StartedService } from '../../model/provider.js';
import { runCommand } from '../../os/runner.js';
import type { Run } from '../compose/cli.js';
import { digestComposeFile } from '../compose/digest.js';
import { realClock, type ProbeClock } from '../probes.js';
import { deployArgv, scaleArgv, stackRmArgv } from './argv.js';
import { checkSwarm, checkSwarmManager } from './check.js';
import { swarmEngineOver, type SwarmEngine } from './engine.js';
import { engineGetFor } from '../compose/engine-api.js';
import { deployedService, driftOf, serviceOfStack } from './fields.js';
import { showSwarmLogs } from './logs.js';
import type { SwarmSpec } from './spec.js';
import { recordedSwarmSpec, specOfRecord, stackCommands, type StackCommands } from './stack-commands.js';
import { shortServices, stackStatus } from './status.js';
import { updateStates, waitConverged, waitUpdated } from './wait.js';

export interface SwarmProviderOptions {
  /** Runs docker commands; tests pass a fake to check the argv without docker. */
  run?: Run;
  /** Time for convergence waits; tests pass a simulated clock. */
  clock?: ProbeClock;
  /** How often a wait looks again (default 500ms). */
  pollMs?: number;
  /**
   * Reads the swarm from the engine's API where the docker CLI would ask that engine (engine.ts).
   * By default, unless `run` is given: a provider given its own runner reads through it alone.
   */
  engine?: SwarmEngine;
}

/** How long a stop (scale to 0) or a removal may take to leave nothing running. */
const GONE_TIMEOUT_MS = 60_000;

/**
 * Creates the swarm provider: one swarm stack (`docker stack deploy`) per stack service, observed
 * through the stack's label. A change rolls out as the compose file's `deploy.update_config`
 * says: a restart is a deploy, never a stop and a start.
 */
export function createSwarmProvider(options: SwarmProviderOptions = {}): Provider {
  const run: Run = options.run ?? runCommand;
  const clock = options.clock ?? realClock;
  const pollMs = options.pollMs ?? 500;
  const engine = options.engine ?? (options.run ? undefined : swarmEngineOver(engineGetFor(process.env)));
  // Only success is cached: a long-lived controller recovers once the engine is a manager again.
  let managing: Promise<void> | undefined;

  function manager(ctx: OperationContext): Promise<void> {
    if (!managing) {
      managing = checkSwarmManager(run, { verbose: ctx.verbose, signal: ctx.signal }, engine);
      managing.catch(() => (managing = undefined));
    }
    return managing;
  }

  function specOf(service: DesiredService): SwarmSpec {
    if (!service.swarm) throw new OperationError(service.name, `${service.name}: no swarm settings`);
    return service.swarm;
  }

  // The rolling update it starts is part of it: a failed one rejects here, leaving the stack as swarm left it.
  async function deploy(service: DesiredService, ctx: OperationContext): Promise<StartedService> {
    await manager(ctx);
    const spec = specOf(service);
    const commands = stackCommands(run, service.name, spec, ctx, engine);
    await commands.must(deployArgv(spec), 5 * 60_000);
    await waitUpdated({ service, spec, commands, ctx, clock, pollMs });
    return { startedAt: new Date().toISOString() };
  }

  // Every replicated service to 0, then waits until no task runs.
  async function scaleToZero(name: string, spec: SwarmSpec, commands: StackCommands, ctx: OperationContext, timeoutMs: number): Promise<void> {
    const services = (await commands.services()).filter((row) => row.desired > 0 && !row.global);
    if (services.length > 0) await commands.must(scaleArgv(Object.fromEntries(services.map((row) => [`${spec.stack}_${row.name}`, 0]))));
    await until(name, ctx, timeoutMs, async () => (await commands.services()).every((row) => row.global || row.running === 0), () => `${name}: tasks of ${spec.stack} still run after the stop`);
  }

  // Polls `done` on the provider's clock; past the deadline, an OperationError saying `why`.
  async function until(name: string, ctx: OperationContext, timeoutMs: number, done: () => Promise<boolean>, why: () => string): Promise<void> {
    const deadline = clock.now() + timeoutMs;
    while (!(await done())) {
      ctx.signal.throwIfAborted();
      if (clock.now() >= deadline) throw new OperationError(name, why(), { timedOut: true });
      await clock.sleep(pollMs, ctx.signal);
    }
  }

  // What a deploy would change in the cluster, and an update swarm paused or rolled back, for a stack that runs.
  async function lookCloser(service: DesiredService, commands: StackCommands, ids: readonly string[], ctx: OperationContext) {
    const spec = specOf(service);
    const inspected = await commands.inspect(ids);
    const failed = updateStates(spec.stack, inspected).failed.map((update) => `update of ${update.service} ${update.state}`);
    const declared = await commands.declared().catch(() => undefined);
    const deployed = inspected.map((one) => deployedService(serviceOfStack(spec.stack, one.Spec.Name), one));
    const drift = declared ? driftOf({ declared, deployed, sensitive: service.sensitive, redact: ctx.redact }) : [];
    return { drift, failed };
  }

  return {
    name: 'swarm',
    capabilities: { grouped: false, cheapObserve: false, readsExitsFromRecord: false },

    async observe(name, desired, applied, ctx): Promise<ObservedService> {
      const spec = desired?.swarm ?? (applied ? recordedSwarmSpec(applied.fields) : undefined);
      if (!spec) return { name, phase: 'unknown', detail: 'no swarm settings' };
      await manager(ctx);
      const commands = stackCommands(run, name, spec, ctx, engine);
      const services = await commands.services();
      const short = shortServices(services);
      const now = stackStatus(services, await commands.tasks(short.map((row) => row.id)));
      const up = now.phase === 'running' || now.phase === 'starting';
      const closer = desired?.swarm && up ? await lookCloser(desired, commands, services.map((row) => row.id), ctx) : undefined;
      const detail = [now.detail, ...(closer?.failed ?? [])].filter(Boolean).join('; ');
      return {
        name,
        phase: now.phase,
        health: now.health,
        ...(detail ? { detail } : {}),
        ...(closer && closer.drift.length > 0 ? { drift: closer.drift } : {}),
        ...(up && applied?.startedAt ? { since: applied.startedAt } : {}),
      };
    },

    async digestFiles(service) {
      if (!service.swarm) return undefined;
      return { digest: await digestComposeFile(service, service.swarm.file, 'swarm.file is relative to stack.yaml') };
    },

    // A stack declared stopped is deployed and scaled to 0 at once; one that runs is deployed by its start.
    async install(service, ctx) {
      await manager(ctx);
      if (service.state !== 'stopped') return;
      await deploy(service, ctx);
      await scaleToZero(service.name, specOf(service), stackCommands(run, service.name, specOf(service), ctx, engine), ctx, GONE_TIMEOUT_MS);
    },

    // The file's replicas come back with it: a deploy sets every service to the file's count.
    start: deploy,

    // A changed file (or drift) rolls out as one deploy: swarm replaces tasks by the file's update_config.
    restart: (service, _applied, ctx) => deploy(service, ctx),

    waitReady: (service, started, ctx) => waitConverged({ service, spec: specOf(service), commands: stackCommands(run, service.name, specOf(service), ctx, engine), ctx, clock, pollMs, since: started.startedAt }),

    async stop(name, applied, stop: StopSpec, ctx) {
      const spec = specOfRecord(name, applied);
      await manager(ctx);
      await scaleToZero(name, spec, stackCommands(run, name, spec, ctx, engine), ctx, stop.timeoutMs + GONE_TIMEOUT_MS);
      return undefined;
    },

    // `docker stack rm` returns before swarm has removed anything: waits until services, task containers and networks are gone.
    async uninstall(name, applied, ctx) {
      const spec = specOfRecord(name, applied);
      await manager(ctx);
      const commands = stackCommands(run, name, spec, ctx, engine);
      await commands.must(stackRmArgv(spec.stack));
      let remaining: string[] = [];
      await until(name, ctx, GONE_TIMEOUT_MS, async () => (remaining = await commands.left()).length === 0, () => `${name}: ${spec.stack} is not gone: ${remaining.join(', ')} left`);
    },

    logs: (name, desired, applied, request, ctx) => showSwarmLogs(run, desired?.swarm ?? (applied ? recordedSwarmSpec(applied.fields) : undefined), request, ctx),

    run: (service) => Promise.reject(cannotRun(service)),

    watchedPaths: (service) => (service.swarm ? { files: [service.swarm.file, join(dirname(service.swarm.file), '.env')], trees: [] } : { files: [], trees: [] }),

    // Tasks are swarm's: only `docker service ls` can say what is left.
    describeRun: () => undefined,

    checks: (_services, ctx) => checkSwarm(run, ctx.verbose),
  };
}
