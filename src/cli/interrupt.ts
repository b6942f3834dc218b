/**
 * Ctrl+C (or SIGTERM) once: abort what is in flight and let the run record what really
 * happened. Twice: leave at once.
 */
export function onInterrupt(stderr: NodeJS.WriteStream): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  let count = 0;
  const handler = (signal: NodeJS.Signals) => {
    count += 1;
    if (count === 1) {
      stderr.write(`\n${signal === 'SIGINT' ? 'Interrupted' : `Received ${signal}`}: stopping what is in flight and recording it (press Ctrl+C again to quit now).\n`);
      controller.abort(new Error('interrupted'));
    } else {
      stderr.write('Quitting now.\n');
      process.exit(130);
    }
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
