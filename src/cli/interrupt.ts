import { hangup } from './hangup.js';

export interface Interrupt {
  signal: AbortSignal;
  /** The terminal went away (exit 129, not 130). */
  readonly hungUp: boolean;
  dispose: () => void;
}

/**
 * Ctrl+C (or SIGTERM) once: abort what is in flight and let the run record what really
 * happened. Twice: leave at once. The terminal going away (SIGHUP, EIO) is a first Ctrl+C that
 * no second one follows. `beforeNotice` clears what is drawn live (a spinner) before the notice.
 */
export function onInterrupt(stderr: NodeJS.WriteStream, options: { beforeNotice?: () => void } = {}): Interrupt {
  const controller = new AbortController();
  let count = 0;
  let hungUp = false;
  const first = (notice: string) => {
    count += 1;
    options.beforeNotice?.();
    stderr.write(`\n${notice}: stopping what is in flight and recording it${hungUp ? '' : ' (press Ctrl+C again to quit now)'}.\n`);
    controller.abort(new Error('interrupted'));
  };
  const handler = (signal: NodeJS.Signals) => {
    if (count === 0) return first(signal === 'SIGINT' ? 'Interrupted' : `Received ${signal}`);
    stderr.write('Quitting now.\n');
    process.exit(130);
  };
  const onHangup = () => {
    if (count > 0) return;
    hungUp = true;
    first('The terminal closed');
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  const stopListening = hangup.listen(onHangup);
  return {
    signal: controller.signal,
    get hungUp() {
      return hungUp;
    },
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
      stopListening();
    },
  };
}
