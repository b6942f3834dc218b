import { open } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import { LINE_LIMIT, lineSplitter } from '../../os/output-tail.js';
import { parseLogLine, type LineStream } from '../../model/log-line.js';

export interface OutputFollower {
  /** Reads what is left, hands over the last partial line, and stops. */
  stop(): Promise<void>;
}

// Often enough to read as live; a lifecycle command writes a few lines a second at most.
const POLL_MS = 100;

/** How much is read at once: a command that prints a gigabyte is followed a piece at a time. */
const READ_BYTES = 64 * 1024;

/** Longer than any record a relay writes (model/log-line.ts): a longer line was written without one. */
const RECORD_LIMIT = 128 * 1024;

/**
 * Turns framed records into the service's lines, text only: the pieces of a line the relay cut
 * (longer than 64 KiB) are one line again, cut past `limit` with how much was left out, as
 * lineSplitter says it; only `limit` characters of it are held.
 */
export function recordJoiner(onLine: (line: string) => void, limit = LINE_LIMIT): (record: string) => void {
  const open = new Map<LineStream, { text: string; over: number }>();
  return (record) => {
    const line = parseLogLine(record);
    const held = open.get(line.stream) ?? { text: '', over: 0 };
    const room = limit - held.text.length;
    held.text += line.text.slice(0, Math.max(room, 0));
    held.over += Math.max(line.text.length - Math.max(room, 0), 0);
    if (line.continues) {
      open.set(line.stream, held);
      return;
    }
    open.delete(line.stream);
    onLine(held.over > 0 ? `${held.text} … [${held.over} more characters of this line not shown]` : held.text);
  };
}

/**
 * Follows a file from `offset`, handing over each complete line as it appears (a very long line
 * cut, see lineSplitter). The command writes to the file rather than to a pipe so a daemon it
 * leaves behind keeps a place to write. Memory stays at one read and one line, whatever the
 * command prints, provided `drained` waits while the lines' destination is backed up.
 */
export function followOutput(file: string, offset: number, onLine: (line: string) => void, drained: () => Promise<void> = async () => undefined): OutputFollower {
  let position = offset;
  const decoder = new StringDecoder('utf8');
  // Records (a relay's framed lines, none longer than a frame and 64 KiB), then the service's
  // lines they make, each cut past LINE_LIMIT.
  const lines = lineSplitter(recordJoiner(onLine), RECORD_LIMIT);
  const buffer = Buffer.alloc(READ_BYTES);
  let reading: Promise<void> = Promise.resolve();
  let busy = false;
  const readMore = (): Promise<void> => {
    busy = true;
    reading = reading.then(async () => {
      const handle = await open(file, 'r').catch(() => undefined);
      if (!handle) return;
      try {
        for (;;) {
          const { bytesRead } = await handle.read(buffer, 0, READ_BYTES, position);
          if (bytesRead === 0) break;
          position += bytesRead;
          lines.push(decoder.write(buffer.subarray(0, bytesRead)));
          // Where the lines go (a pipe to a slow reader) queues what it cannot pass on yet:
          // reading on would move the whole output into that queue.
          await drained();
        }
      } catch {
        // Read again at the next poll.
      } finally {
        await handle.close();
        busy = false;
      }
    });
    return reading;
  };
  const timer = setInterval(() => busy || void readMore(), POLL_MS);
  return {
    async stop() {
      clearInterval(timer);
      await readMore();
      lines.push(decoder.end());
      lines.end();
    },
  };
}
