import type { DesiredService, StopSpec } from '../../model/desired.js';
import type { AppliedService } from '../../model/observed.js';
import { describeCheck, realClock, waitForProbe, type ProbeClock } from '../probes.js';
import { logFileOf, rotateLogIfLarge, ensureLogsDir, appendLogMarker } from '../process/logs.js';
import { runAttached } from '../../os/runner.js';
import { OperationError, type ExitInfo, type OperationContext, type Provider, type StartedService } from '../../model/provider.js';
import { rotateLiveLog } from '../process/rotate-live.js';
import { logChunksOfFile, showLogFile } from '../process/show-log.js';
import { checkPluginFolders } from './check.js';
import { digestPluginFiles } from './digest.js';
import { runLifecycle } from './lifecycle.js';
import { observePlugin } from './observe.js';
import { loadTarget, redactorFor, requireTarget, type PluginTarget } from './plugin-target.js';
import { scriptArgv } from './scripts.js';

export interface PluginProviderOptions {
  /** Where lifecycle output goes as it appears; default: stderr, each line prefixed with the service. */
  output?: (service: string, line: string) => void;
  /** Resolves once `output` has passed on what it was given; default: stderr's queue is drained. */
  drained?: () => Promise<void>;
  clock?: ProbeClock;
}

export interface PluginProvider extends Provider {
  readonly name: 'plugin';
  install(service: DesiredService, ctx: OperationContext): Promise<void>;
  uninstall(name: string, applied: AppliedService, ctx: OperationContext): Promise<void>;
  /** Runs the `restart` command when the plugin has one, else `stop` then `start`. */
  restart(service: DesiredService, applied: AppliedService, ctx: OperationContext): Promise<StartedService>;
}

const writeToStderr = (service: string, line: string): void => {
  process.stderr.write(`${service} | ${line}\n`);
};

// A pipe's writes queue in memory in Node: a reader slower than the plugin would let the whole
// output pile up there (1.9 GB for a plugin printing 1 GB).
// A closed stderr never drains: stop waiting then too.
const stderrDrained = (): Promise<void> => {
  const stderr = process.stderr;
  if (!stderr.writableNeedDrain || stderr.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      stderr.off('drain', done);
      stderr.off('close', done);
      resolve();
    };
    stderr.once('drain', done);
    stderr.once('close', done);
  });
};

/** Creates the plugin provider: a folder whose plugin.yaml names the shell commands of its lifecycle. */
export function createPluginProvider(options: PluginProviderOptions = {}): PluginProvider {
  const output = options.output ?? writeToStderr;
  const drained = options.drained ?? stderrDrained;
  const clock = options.clock ?? realClock;
  // What stack.yaml said of each service when it was last observed: a stop of a service that is
  // being disabled or removed is part of its removal, where a failing stop only warns (as ATK).
  const lastSeen = new Map<string, DesiredService | undefined>();
  const isLeaving = (name: string): boolean => lastSeen.has(name) && lastSeen.get(name)?.enabled !== true;

  const run = (command: Parameters<typeof runLifecycle>[0]['command'], target: PluginTarget, ctx: OperationContext) =>
    runLifecycle({ command, service: target.name, plugin: target.plugin, env: target.env, ctx, redact: redactorFor(target, ctx), onLine: (line) => output(target.name, line), drained });

  async function start(service: DesiredService, ctx: OperationContext): Promise<StartedService> {
    const target = await requireTarget(service.name, service, undefined);
    await ensureLogsDir(ctx.stateDir);
    await rotateLogIfLarge(logFileOf(ctx.stateDir, service.name), service.logs);
    const startedAt = new Date().toISOString();
    const done = await run('start', target, ctx);
    return { startedAt, logOffset: done.logOffset };
  }

  async function stop(name: string, applied: AppliedService, _stop: StopSpec, ctx: OperationContext): Promise<ExitInfo | undefined> {
    const leaving = isLeaving(name);
    const loaded = await loadTarget(name, lastSeen.get(name), applied);
    if (!loaded.ok) {
      if (leaving && loaded.missing) return undefined;
      throw new OperationError(name, `${name}: ${loaded.reason}`);
    }
    try {
      await run('stop', loaded.target, ctx);
    } catch (error) {
      if (!leaving || ctx.signal.aborted) throw error;
      const first = (error instanceof Error ? error.message : String(error)).split('\n')[0];
      output(name, `warning: ${first}; removing it anyway`);
    }
    return undefined;
  }

  return {
    name: 'plugin',
    // Its `status` command is run to observe: polled every few seconds, not at every tick.
    capabilities: { grouped: false, cheapObserve: false, readsExitsFromRecord: false },

    async observe(name, desired, applied, ctx) {
      lastSeen.set(name, desired);
      return observePlugin(name, desired, applied, ctx);
    },

    async digestFiles(service) {
      const target = await requireTarget(service.name, service, undefined);
      return digestPluginFiles(target.plugin.dir, { ignore: target.plugin.ignore, gitignore: target.plugin.gitignore });
    },

    // A plugin without an install command needs none: a no-op, not an error.
    async install(service, ctx) {
      const target = await requireTarget(service.name, service, undefined);
      if (target.plugin.lifecycle.install !== undefined) await run('install', target, ctx);
    },

    start,

    // Without a `ready` probe a started service is ready.
    awaitsReady: (service: DesiredService) => service.ready !== undefined,

    async waitReady(service, started, ctx) {
      const probe = service.ready;
      if (!probe) return;
      const target = await requireTarget(service.name, service, undefined);
      const result = await waitForProbe(probe, {
        signal: ctx.signal,
        logFile: logFileOf(ctx.stateDir, service.name),
        logOffset: started.logOffset ?? 0,
        cwd: target.plugin.dir,
        env: target.env,
        verbose: ctx.verbose,
        redact: redactorFor(target, ctx),
        clock,
      });
      if (!result.ok) throw new OperationError(service.name, `${service.name}: not ready: ${result.reason} (waiting for ${describeCheck(probe.check)})`);
    },

    stop,

    async uninstall(name, applied, ctx) {
      const loaded = await loadTarget(name, lastSeen.get(name), applied);
      // Nothing is left to uninstall once the folder itself is gone.
      if (!loaded.ok && loaded.missing) return;
      if (!loaded.ok) throw new OperationError(name, `${name}: ${loaded.reason}`);
      if (loaded.target.plugin.lifecycle.uninstall !== undefined) await run('uninstall', loaded.target, ctx);
    },

    async restart(service, applied, ctx) {
      const target = await requireTarget(service.name, service, applied);
      if (target.plugin.lifecycle.restart === undefined) {
        await stop(service.name, applied, service.stop, ctx);
        return start(service, ctx);
      }
      const startedAt = new Date().toISOString();
      const done = await run('restart', target, ctx);
      return { startedAt, logOffset: done.logOffset };
    },

    // `stack run <service> <script> [args...]`: a script beside plugin.yaml, on this terminal.
    async run(service, [script = '', ...args], ctx) {
      const target = await requireTarget(service.name, service, undefined);
      const argv = await scriptArgv(target.plugin.dir, target.plugin.name, script, args);
      return runAttached(argv, { cwd: target.plugin.dir, env: target.env, verbose: ctx.verbose });
    },

    // Attached, the plugin's `logs` command (`-f` appended to follow) has the terminal; otherwise,
    // or without one, the log stack keeps of its lifecycle commands is read.
    async logs(name, desired, _applied, request, ctx) {
      if (request.attached && desired) {
        const target = await requireTarget(name, desired, undefined);
        const logs = target.plugin.lifecycle.logs;
        if (logs !== undefined) return runAttached(['sh', '-c', request.follow ? `${logs} -f` : logs], { cwd: target.plugin.dir, env: target.env, verbose: ctx.verbose });
      }
      return showLogFile(logFileOf(ctx.stateDir, name), request, ctx.redact);
    },
    logChunks: (name, request, ctx) => logChunksOfFile(logFileOf(ctx.stateDir, name), request, ctx.redact),

    watchedPaths: (service) => ({ files: [...(service.plugin?.envFiles ?? [])], trees: service.plugin ? [service.plugin.dir] : [] }),

    // Its own commands run it: only its `status` can say whether something was left running.
    describeRun: () => undefined,
    checks: (services, ctx) => checkPluginFolders(services, ctx.cwd),

    mark: (name, text, ctx, at) => appendLogMarker(logFileOf(ctx.stateDir, name), text, at),
    rotateLog: (service, ctx) => rotateLiveLog(logFileOf(ctx.stateDir, service.name), service.logs),
  };
}
