import { ExitCode, withoutServicePrefix } from '../../model/errors.js';
import { declaredLogs, findStack, readStackFile, startController, startDetachedController, type Controller } from '../../api.js';
import { controllerOptions, parseDuration } from '../controller-cli.js';
import { parseParallel, streams, useColor, type GlobalOptions } from '../context.js';
import { LogStream } from '../log-stream.js';
import { hangup } from '../hangup.js';
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
 * Ctrl+C (or SIGTERM) stops everything in reverse order and exits 0; the terminal closing does
 * the same and exits 129; a second Ctrl+C kills what is left.
 */
async function foreground(options: UpOptions, intervalMs: number, parallel: number): Promise<number> {
  const first = await readStackFile(findStack({ file: options.file }));
  // The first pass runs inside start(), before the controller exists to be asked for its file.
  const started: { controller?: Controller } = {};
  // Every service's output, into one stream, from now on: what compose containers print during
  // the first pass is shown too, and a process log is followed from its current end; compose
// containers from the time `up` began, across restarts and recreations.
  const logs = new LogStream(declaredLogs(() => started.controller?.current ?? first), (text) => streams.stdout.write(text), useColor(options), undefined, (name, error) =>
    streams.stderr.write(`${name}: logs: ${error instanceof Error ? error.message : String(error)}\n`),
  );
  const enabled = (desired: typeof first) => desired.services.filter((service) => service.enabled).map((service) => service.name);
  await logs.follow(enabled(first));
  const settings = controllerOptions(options, { command: 'stack up', intervalMs, parallel });
  // Ctrl+C is caught from the start: during the first pass it interrupts it, then tears down.
  const interrupted = new AbortController();
  const onSignal = () => interrupted.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  // A closed terminal (SIGHUP, or EIO writing to it) ends `up` like Ctrl+C, rather than leaving
  // services unsupervised; what is written to the terminal that is gone is dropped (main.ts).
  let hungUp = false;
  const stopListening = hangup.listen(() => {
    hungUp = true;
    interrupted.abort();
  });
  let controller: Controller;
  try {
    controller = await startController({
      ...settings,
      signal: interrupted.signal,
      // Hot add: a service that appears in the file has its log followed from its first line.
      onPass: (pass) => {
        settings.onPass?.(pass);
        if (started.controller) void logs.follow(enabled(started.controller.current), true);
      },
    });
  } catch (error) {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    stopListening();
    await logs.close();
    throw error;
  }
  started.controller = controller;
  if (!interrupted.signal.aborted) {
    streams.stderr.write(`stack is up (pid ${process.pid}); Ctrl+C stops every service\n`);
    await new Promise((resolve) => interrupted.signal.addEventListener('abort', resolve, { once: true }));
  }
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  // The hang-up stays listened to while everything stops: a second SIGHUP must not end `up` halfway.
  streams.stderr.write('\nstopping every service in reverse order (Ctrl+C again to kill them)\n');
  try {
    // The second Ctrl+C is caught from here on, also while the controller winds down.
    const code = await stopEverything(controller.workspaceNow, {
      parallel,
      color: useColor(options, streams.stderr),
      beforeStop: () => controller.close({ keepLock: true }),
      beforeExit: () => controller.releaseLock(),
    });
    await logs.close();
    return hungUp ? ExitCode.hangup : code;
  } finally {
    stopListening();
    await logs.close();
    await controller.releaseLock();
  }
}

/** Starts `stack watch` in the background and returns once it has converged (or could not). */
async function detach(options: UpOptions, intervalMs: number, parallel: number): Promise<number> {
  const result = await startDetachedController({ cli: process.argv[1] as string, file: findStack({ file: options.file }), intervalMs, parallel });
  if ('logTail' in result) {
    streams.stderr.write(`${result.logTail}\n`);
    return result.code ?? ExitCode.actionFailed;
  }
  streams.stdout.write(`controller running in the background (pid ${result.pid}, log ${result.logFile})\n`);
  for (const failure of result.failed) streams.stderr.write(`error: ${failure.service}: ${withoutServicePrefix(failure.service, failure.error ?? 'failed')}\n`);
  if (!result.converged) streams.stderr.write(`${notConverged(result.failed, result.notRetried ?? [])}\n`);
  return result.converged ? ExitCode.ok : ExitCode.actionFailed;
}

/** Whether the controller tries again by itself: it does not for a service that gave up or whose policy says no. */
function notConverged(failed: readonly { service: string }[], notRetried: readonly { service: string; why: string; gaveUp?: boolean }[]): string {
  if (notRetried.length === 0) return 'the stack has not converged; the controller keeps trying (see `stack status`)';
  const hint = (entry: { service: string; gaveUp?: boolean }) => `run \`stack restart ${entry.service}\`${entry.gaveUp ? ' or edit it in stack.yaml' : ''}`;
  const lines = notRetried.map((entry) => `the controller does not retry ${entry.service}: ${entry.why} (${hint(entry)})`);
  if (failed.some((failure) => !notRetried.some((entry) => entry.service === failure.service))) lines.push('it keeps trying the rest (see `stack status`)');
  return `the stack has not converged\n${lines.join('\n')}`;
}
