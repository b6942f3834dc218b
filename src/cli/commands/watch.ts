import { ExitCode } from '../../model/errors.js';
import { startController } from '../../api.js';
import { controllerOptions, parseDuration, waitForSignal } from '../controller-cli.js';
import { parseParallel, streams, type GlobalOptions } from '../context.js';
import { escapeControls } from '../../config/issues.js';

interface WatchOptions extends GlobalOptions {
  interval?: string;
  parallel?: string;
}

export async function run(options: WatchOptions): Promise<number> {
  const settings = controllerOptions(options, { command: 'stack watch', intervalMs: parseDuration(options.interval, '--interval'), parallel: parseParallel(options.parallel) });
  // Caught from the start: Ctrl+C during the first pass interrupts it (what started is recorded).
  const interrupted = new AbortController();
  const signalled = waitForSignal().then((signal) => {
    interrupted.abort();
    return signal;
  });
  const controller = await startController({ ...settings, signal: interrupted.signal });
  // Interrupted before it converged once: as for apply, exit 130 (what started is recorded).
  const duringFirstPass = interrupted.signal.aborted;
  if (!duringFirstPass) {
    streams.stderr.write(`watching ${escapeControls(controller.current.file)} (pid ${process.pid}); Ctrl+C stops watching and leaves the services running\n`);
  }
  const signal = await signalled;
  streams.stderr.write(
    duringFirstPass
      ? `${signal}: interrupted during the first pass; what started is recorded and keeps running\n`
      : `${signal}: stopping the controller; services keep running\n`,
  );
  await controller.close();
  // The terminal closing (129) says so whenever it came; services keep running as on Ctrl+C.
  if (signal === 'SIGHUP') return ExitCode.hangup;
  return duringFirstPass ? ExitCode.interrupted : ExitCode.ok;
}
