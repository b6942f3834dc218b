import { open } from 'node:fs/promises';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { monotonicMs } from '../os/monotonic.js';
import { parseLogLine } from '../model/log-line.js';

/**
 * `log:` probes match with RE2's semantics (re2js), which run in time linear in the text: a
 * pattern such as `^(a+)+$` cannot stall stack on a long line as a backtracking engine would.
 * A pattern matches within one line (`^` and `$` are the line's ends); a line longer than
 * MAX_LINE_BYTES is matched on its first MAX_LINE_BYTES.
 */
export const MAX_LINE_BYTES = 64 * 1024;
/** Read per attempt at most; the next attempt goes on from where this one stopped. */
const MAX_READ_BYTES = 4 * 1024 * 1024;
/** Between two lines, the event loop gets a turn once this much time went to matching. */
const SLICE_MS = 10;

export interface LinePattern {
  test(line: string): boolean;
}

const compiled = new Map<string, Promise<LinePattern>>();

/** Compiles `pattern` with re2js, loaded on first use (most stacks never need it). Rejects when RE2 cannot take it. */
export function compileLinePattern(pattern: string): Promise<LinePattern> {
  let made = compiled.get(pattern);
  if (!made) {
    made = import('re2js').then(({ RE2JS }) => {
      const regex = RE2JS.compile(pattern);
      return { test: (line: string) => regex.matcher(line).find() };
    });
    made.catch(() => compiled.delete(pattern));
    compiled.set(pattern, made);
  }
  return made;
}

/** Where a log scan stands between attempts: the next byte to read and a line not yet ended. */
export interface LogCursor {
  next: number;
  partial: Buffer;
}

export const newLogCursor = (offset: number): LogCursor => ({ next: offset, partial: Buffer.alloc(0) });

export type ScanResult = 'seen' | 'not-seen';

/**
 * Reads what `file` gained since `cursor` and tests each complete line, yielding to the event
 * loop as it goes and stopping at `deadline` (monotonic ms); the cursor keeps its place.
 */
export async function scanLog(file: string, cursor: LogCursor, pattern: LinePattern, deadline: number): Promise<ScanResult> {
  const chunk = await readNew(file, cursor);
  if (chunk.length === 0) return 'not-seen';
  const text = Buffer.concat([cursor.partial, chunk]);
  let start = 0;
  let slice = monotonicMs();
  for (let end = text.indexOf(10, start); end !== -1; end = text.indexOf(10, start)) {
    if (matches(pattern, lineAt(text, start, end))) return 'seen';
    start = end + 1;
    if (monotonicMs() - slice > SLICE_MS) {
      if (monotonicMs() > deadline) {
        // Out of time: the lines not yet tested are read again by the next attempt (they lie
        // past the old partial line, which ended at the first newline).
        cursor.next -= text.length - start;
        cursor.partial = Buffer.alloc(0);
        return 'not-seen';
      }
      await yieldToLoop();
      slice = monotonicMs();
    }
  }
  // The start of a line not yet ended waits for its end; only its first MAX_LINE_BYTES count.
  // It is tested as it stands too: a service may print its last word without a newline.
  cursor.partial = Buffer.from(text.subarray(start, start + MAX_LINE_BYTES));
  return cursor.partial.length > 0 && matches(pattern, cursor.partial.toString('utf8')) ? 'seen' : 'not-seen';
}

/** A pattern is tested on what the service wrote, its frame left out (model/log-line.ts); stack's own lines never match. */
function matches(pattern: LinePattern, stored: string): boolean {
  const line = parseLogLine(stored);
  return line.stream !== 'stack' && pattern.test(line.text);
}

function lineAt(text: Buffer, start: number, end: number): string {
  return text.toString('utf8', start, Math.min(end, start + MAX_LINE_BYTES));
}

async function readNew(file: string, cursor: LogCursor): Promise<Buffer> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch {
    return Buffer.alloc(0);
  }
  try {
    const { size } = await handle.stat();
    // A log cut by rotation restarts below the cursor: scan the new file from its start.
    if (size < cursor.next) {
      cursor.next = 0;
      cursor.partial = Buffer.alloc(0);
    }
    const length = Math.min(size - cursor.next, MAX_READ_BYTES);
    if (length <= 0) return Buffer.alloc(0);
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, cursor.next);
    cursor.next += bytesRead;
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}
