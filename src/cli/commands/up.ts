import { open as openFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ExitCode, StackError } from '../../errors.js';
import { readStack } from '../../config/read-stack.js';
import type { ComposeSpec, Desired } from '../../config/types.js';
import { findStackFile } from '../../config/find-stack.js';
import { spawnDetached } from '../../providers/runner.js';
import { statePaths } from '../../state/paths.js';
import { ensureStateDir } from '../../state/state-file.js';
import { Controller } from '../../supervisor/controller.js';
import { controllerOptions, parseDuration } from '../controller-cli.js';
import { parseParallel, streams, useColor, type GlobalOptions } from '../context.js';
import { LogStream } from '../log-stream.js';
import { stopEverything } from '../teardown.js';

interface UpOptions extends GlobalOptions {
  detach?: boolean;
  interval?: string;
  parallel?: string;
}

export async function run(options: UpOptions): Promise<number> {
  const intervalMs = parseDuration(options.interval, '--interval');
  const parallel = parseParallel(options.parallel);
  return options.detach ? detach(options, intervalMs, parallel) : foreground(options, intervalMs, parallel);
}

/**
 * Foreground dev mode (stagecraft, docker compose up): apply, supervise, stream every log.
 * Ctrl+C stops everything in reverse order; a second Ctrl+C kills what is left.
 */
async function foreground(options: UpOptions, intervalMs: number, parallel: number): Promise<number> {
  const file = findStackFile({ cwd: process.cwd(), explicit: options.file, env: process.env });
  const first = await readStack(file);
  const logs = new LogStream(statePaths(first.root).dir, (text) => streams.stdout.write(text), useColor(options));
  const enabled = (desired: typeof first) => desired.services.filter((service) => service.enabled && service.provider !== 'compose').map((service) => service.name);
  await logs.follow(enabled(first));
  const settings = controllerOptions(options, { command: 'stack up', intervalMs, parallel });
  // The first pass runs inside start(), before the controller exists to be asked for its file.
  const started: { controller?: Controller } = {};
  const controller = await Controller.start({
    ...settings,
    // Hot add: a service that appears in the file has its log followed from its first line.
    onPass: (pass) => {
      settings.onPass?.(pass);
      if (started.controller) void logs.follow(enabled(started.controller.current), true);
    },
  });
  started.controller = controller;
  const composeLogs = streamComposeLogs(controller.current, logs);
  streams.stderr.write(`stack is up (pid ${process.pid}); Ctrl+C stops every service\n`);
  await new Promise<void>((resolve) => {
    const handler = () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
      resolve();
    };
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
  });
  streams.stderr.write('\nstopping every service in reverse order (Ctrl+C again to kill them)\n');
  try {
    // The second Ctrl+C is caught from here on, also while the controller winds down.
    const code = await stopEverything(controller.workspaceNow, {
      parallel,
      color: useColor(options, streams.stderr),
      beforeStop: () => controller.close({ keepLock: true }),
      beforeExit: () => controller.releaseLock(),
    });
    composeLogs.abort();
    await logs.close();
    return code;
  } finally {
    await controller.releaseLock();
  }
}

/** Compose services' output comes from `docker compose logs -f`, into the same stream. */
function streamComposeLogs(desired: Desired, logs: LogStream): AbortController {
  const abort = new AbortController();
  const specs = new Map(desired.services.filter((service) => service.enabled && service.compose).map((service) => [service.name, service.compose as ComposeSpec]));
  if (specs.size > 0) {
    void import('../../providers/compose/logs.js')
      .then(({ composeLogs }) => composeLogs(specs, { follow: true, lines: 0, signal: abort.signal, write: (name, line) => logs.writeLine(name, line) }))
      .catch((error: unknown) => {
        if (!abort.signal.aborted) streams.stderr.write(`compose logs: ${error instanceof Error ? error.message : String(error)}\n`);
      });
  }
  return abort;
}

/** Starts `stack watch` in the background and returns once it has converged (or could not). */
async function detach(options: UpOptions, intervalMs: number, parallel: number): Promise<number> {
  const file = findStackFile({ cwd: process.cwd(), explicit: options.file, env: process.env });
  const desired = await readStack(file);
  const paths = statePaths(desired.root);
  await ensureStateDir(paths.dir);
  const logFile = join(paths.dir, 'controller.log');
  const log = await openFile(logFile, 'a', 0o600);
  const statusFile = join(paths.dir, 'controller.json');
  // A small young generation keeps a long-lived controller's memory near the floor (~10 MiB less).
  const argv = [process.execPath, '--max-semi-space-size=1', process.argv[1] as string, '-f', file, 'watch', '--interval', `${intervalMs}ms`, '--parallel', String(parallel)];
  let child;
  try {
    child = await spawnDetached(argv, { cwd: process.cwd(), env: { NO_COLOR: '1' }, logFd: log.fd, verbose: undefined });
  } finally {
    await log.close();
  }
  let exited: { code: number | null } | undefined;
  void child.exited.then((exit) => (exited = exit));
  const deadline = Date.now() + 10 * 60_000;
  while (Date.now() < deadline) {
    const status = await readFile(statusFile, 'utf8').then((text) => JSON.parse(text) as { pid: number; converged: boolean; failed: { service: string; error?: string }[] }, () => undefined);
    if (status?.pid === child.pid) {
      streams.stdout.write(`controller running in the background (pid ${child.pid}, log ${logFile})\n`);
      for (const failure of status.failed) streams.stderr.write(`error: ${failure.service}: ${failure.error ?? 'failed'}\n`);
      if (!status.converged) streams.stderr.write('the stack has not converged; the controller keeps trying (see `stack status`)\n');
      return status.converged ? ExitCode.ok : ExitCode.actionFailed;
    }
    if (exited) {
      const tail = (await readFile(logFile, 'utf8').catch(() => '')).trimEnd().split('\n').slice(-10).join('\n');
      streams.stderr.write(`${tail}\n`);
      return exited.code ?? ExitCode.actionFailed;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new StackError(ExitCode.actionFailed, 'the background controller did not report convergence within 10 minutes', { hint: `see ${logFile}` });
}
