import { constants } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { stampOfRaw } from '../../model/log-line.js';
import { openOwnFile } from '../../os/safe-file.js';

/** Read at each step of the bisection: a line longer than this is looked past, in more reads. */
const PROBE_BYTES = 4096;

/**
 * Where, between `from` and `to`, the first line stamped at or after `stamp` (with `after`:
 * past it) begins (`to` when none is), by bisecting the file: a log's lines are in the order the relay read them, so
 * `--since 10m` over 100 MB reads some 27 probes of 4 KiB, not the file. `from` is a line's
 * start. A line without a time counts as earlier than any stamp (a log written before stack
 * framed its lines).
 */
export async function offsetOfTime(file: string, stamp: string, from: number, to: number, after = false): Promise<number> {
  let handle: FileHandle;
  try {
    handle = await openOwnFile(file, constants.O_RDONLY);
  } catch {
    return from;
  }
  try {
    // Line starts before `low` are earlier than `stamp`; the answer is a line start in
    // [low, high), or `high`, which is `to` or a line stamped at or after `stamp`.
    let low = from;
    let high = to;
    while (low < high) {
      const middle = low + Math.floor((high - low) / 2);
      // Past the last line's start: that line is the one at `low`.
      const line = (await nextLine(handle, middle, high, low)) ?? (await nextLine(handle, low, high, low));
      if (line === undefined) break;
      if (line.stamp !== undefined && (line.stamp > stamp || (!after && line.stamp === stamp))) high = line.start;
      else low = line.end;
    }
    return high;
  } finally {
    await handle.close();
  }
}

interface ProbedLine {
  start: number;
  /** Just past its newline. */
  end: number;
  stamp: string | undefined;
}

/**
 * The first line that begins at or after `position` (and before `limit`), `position` itself
 * when it is `floor` (a known line start); undefined when no line begins there.
 */
async function nextLine(handle: FileHandle, position: number, limit: number, floor: number): Promise<ProbedLine | undefined> {
  let start = position;
  if (position > floor) {
    const found = await newlineFrom(handle, position - 1, limit);
    if (found === undefined) return undefined;
    start = found + 1;
  }
  if (start >= limit) return undefined;
  const head = Buffer.alloc(Math.min(PROBE_BYTES, limit - start));
  const { bytesRead } = await handle.read(head, 0, head.length, start);
  const newline = head.subarray(0, bytesRead).indexOf(0x0a);
  const end = newline >= 0 ? start + newline + 1 : ((await newlineFrom(handle, start + bytesRead, limit)) ?? limit - 1) + 1;
  return { start, end, stamp: stampOfRaw(head.toString('latin1', 0, Math.min(bytesRead, 32))) };
}

/** The position of the first newline at or after `position`, before `limit`. */
async function newlineFrom(handle: FileHandle, position: number, limit: number): Promise<number | undefined> {
  const buffer = Buffer.alloc(PROBE_BYTES);
  for (let at = position; at < limit; ) {
    const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, limit - at), at);
    if (bytesRead <= 0) return undefined;
    const newline = buffer.subarray(0, bytesRead).indexOf(0x0a);
    if (newline >= 0) return at + newline;
    at += bytesRead;
  }
  return undefined;
}
