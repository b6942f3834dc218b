// `logs` of the providers whose output stack writes to `.stack/logs/<service>.log` (process,
// plugin): the file's tail, then (following) what is appended, across rotations.
import { dirname } from 'node:path';
import type { LogsRequest } from '../../model/provider.js';
import type { Redact } from '../../model/redact.js';
import { pause } from '../../os/pause.js';
import { assertOwnDir, assertOwnFile } from '../../os/safe-file.js';
import { LogFollower } from './follow-log.js';
import { MAX_TAIL_BYTES, readLogTail } from './logs.js';

const DEFAULT_POLL_MS = 200;

/**
 * Writes the last `request.lines` lines of `file` (of this run only, with `request.run`), then
 * with `follow` every line appended until the signal aborts. The follower takes its place
 * first and the tail is read up to exactly there: no line is shown twice or missed between the two.
 * Every line passes `redact`: a service may print its own secrets.
 */
export async function showLogFile(file: string, given: LogsRequest, redact: Redact): Promise<undefined> {
  const request = { ...given, write: (lines: readonly string[]) => given.write(lines.map((line) => redact(line))) };
  // Said, not skipped in silence: a log that is a link is never read (that would show its target).
  if ((await assertOwnDir(dirname(file))) === 'ok') await assertOwnFile(file);
  // Everything kept, followed: the whole file from its first byte (a service added while `up` runs).
  const whole = request.follow && request.lines === Infinity && request.run === undefined;
  let follower: LogFollower | undefined;
  let end: number | undefined;
  if (whole) follower = new LogFollower(file, 0);
  else if (request.follow) ({ follower, size: end } = await LogFollower.atEnd(file));
  if (!whole && request.lines > 0) {
    const tail = await readLogTail(file, request.lines, request.run?.logOffset ?? 0, end, undefined, MAX_TAIL_BYTES).catch(() => [] as string[]);
    if (tail.length > 0) request.write(tail);
  }
  request.caughtUp?.();
  if (follower) {
    follower.latest = request.latest;
    await followUntilAborted(follower, request);
  }
  return undefined;
}

/** Reads on until the signal aborts, then what is left (a last line without its newline too). */
async function followUntilAborted(follower: LogFollower, request: LogsRequest): Promise<void> {
  const write = (lines: readonly string[]) => {
    if (lines.length > 0) request.write(lines);
  };
  try {
    while (!request.signal.aborted) {
      write(await follower.read());
      await pause(request.pollMs ?? DEFAULT_POLL_MS, request.signal);
    }
    write(await follower.read());
    const partial = follower.takePartial();
    if (partial !== undefined) write([partial]);
  } finally {
    await follower.close();
  }
}
