/**
 * A task's `schedule:`: a cron expression (read by croner, the parser pm2 uses) or an interval,
 * and when it next comes due. Pure: the time is always passed in.
 */

import { Cron } from 'croner';
import type { OverlapPolicy, ScheduleSpec } from '../model/desired.js';
import { formatDuration, parseDuration } from './units.js';

/** `schedule:` as written: the short form (cron or interval), or the long one. */
export type ScheduleInput = string | LongSchedule;
type LongSchedule = { cron?: string; every?: string; timezone?: string; overlap?: OverlapPolicy };

/** The shortest interval: a run each second is the most a schedule may ask for. */
export const MIN_INTERVAL_MS = 1000;

/** The written schedule as a spec; undefined when it does not say one (`scheduleProblem` says why). */
export function scheduleOf(input: ScheduleInput): ScheduleSpec | undefined {
  const long = typeof input === 'string' ? shortForm(input) : input;
  const overlap = long.overlap ?? 'skip';
  if (long.every !== undefined && long.cron === undefined) {
    const everyMs = parseDuration(long.every);
    return everyMs === undefined ? undefined : { everyMs, overlap, text: `every ${formatDuration(everyMs)}` };
  }
  if (long.cron === undefined || long.every !== undefined) return undefined;
  const cron = long.cron.trim().replace(/\s+/g, ' ');
  return { cron, overlap, ...(long.timezone === undefined ? {} : { timezone: long.timezone }), text: long.timezone === undefined ? cron : `${cron} (${long.timezone})` };
}

// `30s` is an interval, anything else a cron expression.
function shortForm(text: string): LongSchedule {
  return parseDuration(text) === undefined ? { cron: text } : { every: text };
}

/** What is wrong with a written schedule, and under which of its keys (none: the whole of it). */
export interface ScheduleProblem {
  key?: 'cron' | 'every' | 'timezone';
  message: string;
}

/**
 * What is wrong with a written schedule, in croner's words where it found it; undefined when
 * nothing is. `probeAt` is any time: the check asks for one run after it, which is where a bad
 * time zone shows.
 */
export function scheduleProblem(input: ScheduleInput, probeAt: number): ScheduleProblem | undefined {
  const long = typeof input === 'string' ? shortForm(input) : input;
  if (long.cron !== undefined && long.every !== undefined) return { message: 'a schedule has cron or every, not both' };
  if (long.cron === undefined && long.every === undefined) return { message: 'a schedule needs cron (a cron expression) or every (an interval)' };
  if (long.every !== undefined) {
    if (long.timezone !== undefined) return { key: 'timezone', message: 'timezone applies to a cron expression, not to every' };
    const everyMs = parseDuration(long.every);
    if (everyMs === undefined) return { key: 'every', message: `expected an interval like 30s, 5m or 1h (at most 24h), got "${long.every}"` };
    return everyMs < MIN_INTERVAL_MS ? { key: 'every', message: `a schedule runs at most once a second, got ${long.every}` } : undefined;
  }
  try {
    const spec = scheduleOf(input);
    if (spec !== undefined && nextRunAfter(spec, probeAt) === undefined) return { key: 'cron', message: `the cron expression "${spec.cron}" never comes due` };
    return undefined;
  } catch (error) {
    return cronProblem(error instanceof Error ? error.message : String(error));
  }
}

/** croner's message, without its class prefix and its long advice on time zones. */
function cronProblem(message: string): ScheduleProblem {
  const plain = message.replace(/^Cron(Pattern|Date|Options)?:\s*/, '');
  const zone = /time ?zone '([^']+)'/i.exec(plain);
  if (zone) return { key: 'timezone', message: `unknown time zone "${zone[1]}" (an IANA name such as Europe/Paris or America/New_York)` };
  return { key: 'cron', message: `not a cron expression: ${plain.split('\n')[0]}` };
}

/**
 * When `spec` next comes due after `afterMs` (ms since the epoch); undefined when never (a
 * cron expression for a date that does not come). An interval counts from `anchorMs` (when the
 * schedule began): due at anchor + k × every, the first such time after `afterMs`.
 */
export function nextRunAfter(spec: ScheduleSpec, afterMs: number, anchorMs = afterMs): number | undefined {
  if (spec.everyMs !== undefined) {
    const every = spec.everyMs;
    const steps = afterMs < anchorMs ? 1 : Math.floor((afterMs - anchorMs) / every) + 1;
    return anchorMs + steps * every;
  }
  const cron = new Cron(spec.cron ?? '', { paused: true, ...(spec.timezone === undefined ? {} : { timezone: spec.timezone }) });
  // A paused job with no function holds no timer; stop() is for form's sake.
  const next = cron.nextRun(new Date(afterMs));
  cron.stop();
  return next === null ? undefined : next.getTime();
}
