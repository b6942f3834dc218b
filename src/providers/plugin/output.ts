import { readLogFrom } from '../process/logs.js';

export interface OutputFollower {
  /** Reads what is left, hands over the last partial line, and stops. */
  stop(): Promise<void>;
}

// Often enough to read as live; a lifecycle command writes a few lines a second at most.
const POLL_MS = 100;

/**
 * Follows a file from `offset`, handing over each complete line as it appears. The command
 * writes to the file rather than to a pipe so a daemon it leaves behind keeps a place to write.
 */
export function followOutput(file: string, offset: number, onLine: (line: string) => void): OutputFollower {
  let position = offset;
  let partial = '';
  let reading: Promise<void> = Promise.resolve();
  const readMore = (): Promise<void> => {
    reading = reading.then(async () => {
      const text = await readLogFrom(file, position).catch(() => '');
      if (text === '') return;
      position += Buffer.byteLength(text);
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) onLine(line);
    });
    return reading;
  };
  const timer = setInterval(() => void readMore(), POLL_MS);
  return {
    async stop() {
      clearInterval(timer);
      await readMore();
      if (partial !== '') onLine(partial);
      partial = '';
    },
  };
}
