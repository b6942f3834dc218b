import { existsSync } from 'node:fs';
import type { DesiredService, StopSpec } from '../../model/desired.js';
import type { ComposeSpec } from './spec.js';
import type { AppliedService, ObservedService } from '../../model/observed.js';
import { realClock, type ProbeClock } from '../probes.js';
import { runCommand, type CommandResult } from '../../os/runner.js';
import { resolveExecutable } from '../../os/executables.js';
import { cannotRun, OperationError, type OperationContext, type Provider, type SignalOutcome, type StartedService } from '../../model/provider.js';
import { dirname, join } from 'node:path';
import { checkDocker } from './check.js';
import { composeSpecFromFields } from './fields.js';
import { showComposeLogs } from './service-logs.js';
import { buildArgv, composeProjectName, downArgv, killArgv, psArgv, removeServicesArgv, stopArgv, upArgv, type ComposeCli } from './argv.js';
import { BUILD_LIMIT_MS, buildResultOf } from '../build-result.js';
import { checkEngine, detectComposeCli, type Locate, type LocatePlugin, type Run } from './cli.js';
import { findComposePlugin } from './plugin-dirs.js';
import { containersFromEngine, parsePsLines, projectStatus, type Container, type ProjectStatus } from './containers.js';
import { engineContainersFor, type EngineContainers } from './engine-api.js';
import { digestComposeFiles } from './digest.js';
import { execInCompose } from './exec.js';
import { findNewerImages } from './update.js';
import { mustRun, otherServicesOf, recordedSpec, removeByLabel, runFor, succeeded } from './project.js';
import { createProjectQueue } from './project-queue.js';
import { readComposeUsage } from './usage.js';
import { waitHealthy } from './wait.js';

export interface ComposeProviderOptions {
  /** Runs docker commands; tests pass a fake to check the argv without docker. */
  run?: Run;
  /**
   * Lists a project's containers from the engine's socket instead of `docker ps` where the CLI
   * would ask that engine (engine-api.ts). By default, unless `run` is given: a provider given
   * its own `run` asks through it alone.
   */
  engine?: EngineContainers;
  /** Finds `docker-compose` (v1) on PATH without running it; tests pass a fake. */
  locate?: Locate;
  /** Finds the `docker compose` (v2) plugin without running docker; by default unless `run` or `locate` is given. */
  locatePlugin?: LocatePlugin;
  /** Time for health waits; tests pass a simulated clock. */
  clock?: ProbeClock;
  /** How often a health wait looks again (default 250ms). */
  pollMs?: number;
}

export interface ComposeProvider extends Provider {
  readonly name: 'compose';
  /** The compose CLI in use, once the engine answered (detected once, then cached). */
  cli(ctx: OperationContext): Promise<ComposeCli>;
  /** What the project's containers say now, for the selected services. */
  status(name: string, spec: ComposeSpec, stoppedByUs: boolean, ctx: OperationContext): Promise<ProjectStatus>;
}

/** A project's containers from the engine's API, or what `docker ps` said. */
type Listing = { containers: Container[] } | { ps: CommandResult };

/** Creates the compose provider: one compose project per stack service, observed through labels. */
export function createComposeProvider(options: ComposeProviderOptions = {}): ComposeProvider {
  const run: Run = options.run ?? runCommand;
  const engineContainers: EngineContainers | undefined = options.engine ?? (options.run ? undefined : engineContainersFor(process.env));
  const locate: Locate = options.locate ?? ((program) => resolveExecutable(program, process.cwd(), process.env.PATH));
  const locatePlugin: LocatePlugin | undefined = options.locatePlugin ?? (options.run || options.locate ? undefined : () => findComposePlugin(process.env));
  const clock = options.clock ?? realClock;
  const pollMs = options.pollMs ?? 250;
  // Only success is cached: a long-lived watcher recovers once the engine comes back.
  let detected: Promise<ComposeCli> | undefined;
  // The engine answered (`docker version`, or a `docker ps` that exited 0): asked no more.
  let engine: Promise<unknown> | undefined;
  // The full spec (with sensitive env) of services seen this run, for stop/down, which get
  // only what the state file recorded.
  const seen = new Map<string, ComposeSpec>();

  // `up` and `down` one at a time per project; the `up`s that come together are one command.
  const queue = createProjectQueue(run);
  // The listing of a project in flight, by the signal of the run asking: the services of one
  // project observed at once share one.
  const observing = new WeakMap<AbortSignal, Map<string, Promise<Listing>>>();

  function engineAnswers(ctx: OperationContext): Promise<unknown> {
    if (!engine) {
      const asked = checkEngine(run, { verbose: ctx.verbose, signal: ctx.signal });
      engine = asked;
      asked.catch(() => engine === asked && (engine = undefined));
    }
    return engine;
  }

  function composeCli(ctx: OperationContext): Promise<ComposeCli> {
    if (!detected) {
      const found = detectComposeCli(run, { verbose: ctx.verbose, signal: ctx.signal }, locate, locatePlugin);
      detected = found;
      found.catch(() => detected === found && (detected = undefined));
    }
    return detected;
  }

  // The engine check and the CLI's detection at once: neither needs the other's answer, and the
  // engine's failure is the one told when both fail.
  async function cli(ctx: OperationContext): Promise<ComposeCli> {
    const [answered, found] = await Promise.allSettled([engineAnswers(ctx), composeCli(ctx)]);
    if (answered.status === 'rejected') throw answered.reason;
    if (found.status === 'rejected') throw found.reason;
    return found.value;
  }

  // From the engine's socket where the CLI would ask the same engine (not with a DOCKER_ variable
  // of the service's own); `docker ps` when it cannot say.
  async function fromEngine(ask: EngineContainers, name: string, spec: ComposeSpec, argv: readonly string[], ctx: OperationContext): Promise<Listing> {
    const rows = await ask(composeProjectName(spec.project), { signal: ctx.signal, verbose: ctx.verbose });
    return rows === undefined ? { ps: await runFor(run, name, spec, argv, ctx, 30_000) } : { containers: containersFromEngine(rows) };
  }

  function listing(name: string, spec: ComposeSpec, ctx: OperationContext): Promise<Listing> {
    const argv = psArgv(spec.project);
    const key = JSON.stringify([argv, spec.env]);
    let inFlight = observing.get(ctx.signal);
    if (!inFlight) observing.set(ctx.signal, (inFlight = new Map()));
    const running = inFlight.get(key);
    if (running) return running;
    const ownEngine = Object.keys(spec.env).some((key) => key.startsWith('DOCKER_'));
    const asked = engineContainers && !ownEngine ? fromEngine(engineContainers, name, spec, argv, ctx) : runFor(run, name, spec, argv, ctx, 30_000).then((ps): Listing => ({ ps }));
    inFlight.set(key, asked);
    const done = () => inFlight.delete(key);
    void asked.then(done, done);
    return asked;
  }

  function specOf(service: DesiredService): ComposeSpec {
    if (!service.compose) throw new OperationError(service.name, `${service.name}: no compose settings`);
    seen.set(service.name, service.compose);
    return service.compose;
  }

  const specFor = (name: string, applied: AppliedService): ComposeSpec => seen.get(name) ?? recordedSpec(name, applied);

  // The listing while the CLI is looked for. A listing that answered is the engine's answer (the
  // engine is asked only when `docker ps` failed, to say why: exit 6); a missing CLI is told next.
  async function status(name: string, spec: ComposeSpec, stoppedByUs: boolean, ctx: OperationContext): Promise<ProjectStatus> {
    // The listing first: it is the longer of the two (it asks the engine), and each spawn takes a while.
    const listed = listing(name, spec, ctx);
    const found = composeCli(ctx);
    const answer = await listed;
    if ('containers' in answer) {
      engine ??= Promise.resolve();
      await found;
      return projectStatus({ containers: answer.containers, services: spec.services, scale: spec.scale, stoppedByUs });
    }
    // With DOCKER_HOST or another DOCKER_ variable of its own, it asked another engine than `docker version` would.
    const sameEngine = !Object.keys(spec.env).some((key) => key.startsWith('DOCKER_'));
    if (answer.ps.exitCode === 0 && sameEngine) engine ??= Promise.resolve();
    else await engineAnswers(ctx);
    await found;
    const result = succeeded(name, psArgv(spec.project), answer.ps, ctx);
    return projectStatus({ containers: parsePsLines(result.stdout), services: spec.services, scale: spec.scale, stoppedByUs });
  }

  return {
    name: 'compose',
    // Observing asks docker (`docker compose ps`): polled every few seconds, not at every tick.
    capabilities: { grouped: false, cheapObserve: false, readsExitsFromRecord: false },
    cli,
    status,
    // `up -d` creates what `up --no-start` would: a service installed and started in one unit runs the start alone.
    startInstalls: true,
    // The stack services of one project start together, in one `up -d` (project-queue.ts). Not
    // with `wait`: v2's `up --wait` would hold each start until all were healthy.
    startGroup: (service) => (service.compose && !service.compose.wait ? composeProjectName(service.compose.project) : undefined),

    async observe(name, desired, applied, ctx): Promise<ObservedService> {
      const spec = desired?.compose ? specOf(desired) : applied ? specFor(name, applied) : undefined;
      if (!spec) return { name, phase: 'unknown', detail: 'no compose settings' };
      const now = await status(name, spec, applied?.stoppedByUs ?? false, ctx);
      const up = now.phase === 'running' || now.phase === 'starting';
      return {
        name,
        phase: now.phase,
        health: now.health,
        ...(now.detail ? { detail: now.detail } : {}),
        ...(up && applied?.startedAt ? { since: applied.startedAt } : {}),
      };
    },

    // The engine's reading of the running containers (docker stats); nothing when it does not answer.
    async usage(name, desired, applied, ctx) {
      const spec = desired?.compose ? specOf(desired) : applied ? specFor(name, applied) : undefined;
      const containers = async () => {
        const answer = spec && (await listing(name, spec, ctx));
        if (!answer) return undefined;
        return 'containers' in answer ? answer.containers : answer.ps.exitCode === 0 ? parsePsLines(answer.ps.stdout) : undefined;
      };
      return spec ? readComposeUsage(run, name, spec, ctx, containers).catch(() => undefined) : undefined;
    },

    async digestFiles(service) {
      const digest = await digestComposeFiles(service);
      return digest === undefined ? undefined : { digest };
    },

    // Pulls/builds and creates the containers without starting them (`state: stopped` stops here).
    async install(service, ctx) {
      const spec = specOf(service);
      const compose = await cli(ctx);
      await queue.up({ name: service.name, spec, ctx, together: true, argv: (services) => upArgv(compose, { ...spec, services: [...services] }, { noStart: true }) });
    },

    async start(service, ctx): Promise<StartedService> {
      const spec = specOf(service);
      const compose = await cli(ctx);
      const argv = (services: readonly string[]) => upArgv(compose, { ...spec, services: [...services] }, { wait: spec.wait });
      await queue.up({ name: service.name, spec, ctx, together: !argv([]).includes('--wait'), argv });
      return { startedAt: new Date().toISOString() };
    },

    // `watch:`: the images from the compose file again; the restart that follows recreates the containers.
    build(service, ctx) {
      const spec = specOf(service);
      return cli(ctx).then(async (compose) => buildResultOf(await run(buildArgv(compose, spec), { cwd: ctx.root, signal: ctx.signal, timeoutMs: BUILD_LIMIT_MS, verbose: ctx.verbose, redact: ctx.redact })));
    },

    async waitReady(service, _started, ctx) {
      const spec = specOf(service);
      await waitHealthy({ service, spec, ctx, clock, pollMs, status, run, cli });
    },

    async stop(name, applied, stop: StopSpec, ctx) {
      const spec = specFor(name, applied);
      const compose = await cli(ctx);
      // A timeout stack.yaml does not write leaves compose's: the compose file's stop_grace_period.
      await mustRun(run, name, spec, stopArgv(compose, spec, stop.timeoutWritten ? stop.timeoutMs : undefined), ctx);
      return undefined;
    },

    // Compose sends it to every running container of the selected services (all of the project's when none are).
    async signal(name, applied, signal, ctx): Promise<SignalOutcome> {
      const spec = specFor(name, applied);
      const compose = await cli(ctx);
      await mustRun(run, name, spec, killArgv(compose, spec, signal), ctx, 30_000);
      return { kind: 'sent', to: spec.services.length > 0 ? `the containers of ${spec.services.join(', ')}` : 'its containers' };
    },

    // In the running container of the service's one compose service (or the one asked for).
    async exec(service, request, ctx) {
      const opCtx = { ...ctx, signal: AbortSignal.timeout(60_000) };
      return execInCompose(run, await cli(opCtx), service.name, specOf(service), request, opCtx);
    },

    async update(service, { fetch }, ctx) {
      const found = await findNewerImages(run, await cli(ctx), service.name, specOf(service), fetch, ctx);
      return fetch ? found : { ...found, notes: ['--dry-run pulls no image: compose services are compared with the images already on this machine'] };
    },

    async uninstall(name, applied, ctx) {
      const spec = specFor(name, applied);
      const compose = await cli(ctx);
      const volumes = ctx.removeVolumes === true;
      await queue.exclusive(spec.project, async () => {
        // Other stack services of the same project still have containers: only this one's go,
        // and the project's network and named volumes stay for them.
        if (existsSync(spec.file) && spec.services.length > 0 && (await otherServicesOf(run, name, spec, ctx)).length > 0) {
          await mustRun(run, name, spec, removeServicesArgv(compose, spec, { volumes }), ctx);
        } else if (existsSync(spec.file)) await mustRun(run, name, spec, downArgv(compose, spec, { volumes }), ctx);
        else await removeByLabel(run, name, spec, ctx, volumes);
      });
      seen.delete(name);
    },

    logs: (name, desired, applied, request, ctx) => showComposeLogs(name, desired ? desired.compose : applied ? composeSpecFromFields(applied.fields) : undefined, request, ctx),

    run: (service) => Promise.reject(cannotRun(service)),

    // The compose file, and the `.env` beside it that compose reads for interpolation.
    watchedPaths: (service) => (service.compose ? { files: [service.compose.file, join(dirname(service.compose.file), '.env')], trees: [] } : { files: [], trees: [] }),

    // Containers are docker's: only `docker compose ps` can say what is left.
    describeRun: () => undefined,

    // Asked once, whatever the number of compose services: the engine answers and a compose CLI is installed.
    checks: (_services, ctx) => checkDocker(ctx.verbose, run),
  };
}
