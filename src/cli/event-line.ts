import pc from 'picocolors';
import type { EventBody, StackEvent } from '../api/protocol.js';
import { givenUpWords } from '../reconcile/diff.js';

type Colors = ReturnType<typeof pc.createColors>;
type Of<T extends StackEvent['type']> = Extract<StackEvent, { type: T }>;

/**
 * One line of `stack events`: `12:04:05 web exited with code 1`, the time as this machine's
 * clock reads `at`. Undefined for a type this version does not know (a later controller's).
 */
export function formatEvent(event: EventBody, color: boolean): string | undefined {
  const c = pc.createColors(color);
  const words = describeEvent(event, c);
  return words === undefined ? undefined : `${c.dim(timeOf(event.at))} ${words}`;
}

/** `HH:MM:SS` in local time. */
function timeOf(at: string): string {
  const time = new Date(at);
  return Number.isNaN(time.getTime()) ? '--:--:--' : time.toTimeString().slice(0, 8);
}

/** What happened, in plain words; the controller's own log (`stack watch`, `stack up`) says the same. */
export function describeEvent(event: StackEvent, c: Colors): string | undefined {
  switch (event.type) {
    case 'following':
      return c.dim(`following the controller (pid ${event.pid}); Ctrl+C ends`);
    case 'phase':
      return `${event.service} ${event.phase} ${c.dim(`(was ${event.previous})`)}`;
    case 'probe':
      return event.ok ? `${c.green('✓')} ${event.service} ${event.kind} probe passes` : `${c.yellow('!')} ${event.service} ${event.kind} probe fails${event.reason ? `: ${event.reason}` : ''}`;
    case 'exited':
      return `${c.yellow('!')} ${event.service} ${event.reason !== undefined ? event.reason : event.signal ? `was killed by ${event.signal}` : event.code === null ? 'exited (how is not known: it was started before this controller)' : `exited with code ${event.code}`}`;
    case 'restarting':
      return `${c.cyan('↻')} ${event.service} restarting (restart ${event.attempt} of ${event.maxRestarts})`;
    case 'gave-up':
      return `${c.red('✗')} ${describeGiveUp(event)} (run \`stack restart ${event.service}\` or edit it in stack.yaml)`;
    case 'running':
      return `${c.green('✓')} ${event.service} ${event.again ? 'running again' : 'running (a retry of its failed start)'}`;
    case 'leftovers':
      return `${c.red('✗')} ${event.service}: what its last run left running could not be stopped: ${event.error}`;
    case 'file-changed':
      return `changed: ${event.paths.join(', ')}`;
    case 'invalid-file':
      return `${c.red('✗')} stack.yaml is invalid; keeping the last good state running: ${event.message}`;
    case 'plan':
      return describePlan(event);
    case 'reconciled':
      return describeReconciled(event, c);
    case 'run':
      return event.exitCode === undefined ? `${event.by} began` : `${event.by} ended (exit ${event.exitCode})`;
    case 'schedule':
      return describeSchedule(event, c);
    case 'dev':
      return describeDev(event, c);
    default:
      return undefined;
  }
}

/** `web: changed: src/a.ts`, `web: build failed: exited with code 2`: the development loop. */
function describeDev(event: Of<'dev'>, c: Colors): string {
  switch (event.what) {
    case 'changed':
      return `${c.cyan('✎')} ${event.service}: changed: ${(event.paths ?? []).slice(0, 3).join(', ')}${(event.paths?.length ?? 0) > 3 ? ` and ${(event.paths?.length ?? 0) - 3} more` : ''}`;
    case 'building':
      return `${event.service}: building`;
    case 'build-failed':
      return `${c.red('✗')} ${event.service}: build failed: ${event.reason ?? 'failed'}; the running process is kept`;
    case 'restarted':
      return `${c.green('✓')} ${event.service}: restarted${event.with && event.with.length > 0 ? ` with ${event.with.join(', ')}` : ''}`;
    case 'start-failed':
      return `${c.red('✗')} ${event.service}: its new start failed: ${event.reason ?? 'failed'}; waiting for the next change`;
  }
}

/** `backup: a scheduled run began (every 1h)`, `backup: its scheduled run failed: exited with code 2`. */
function describeSchedule(event: Of<'schedule'>, c: Colors): string {
  const when = c.dim(`(${event.schedule})`);
  switch (event.what) {
    case 'run':
      return `${c.cyan('⏱')} ${event.service}: a scheduled run began ${when}`;
    case 'replaced':
      return `${c.cyan('⏱')} ${event.service}: a scheduled run replaces the one still going ${when}`;
    case 'queued':
      return `${c.cyan('⏱')} ${event.service}: a scheduled run waits for the last one to end ${when}`;
    case 'skipped':
      return `${c.yellow('!')} ${event.service}: a scheduled run was skipped: ${event.reason ?? 'its last run has not ended'} ${when}`;
    case 'ended':
      return event.ok ? `${c.green('✓')} ${event.service}: its scheduled run completed` : `${c.red('✗')} ${event.service}: its scheduled run failed${event.reason ? `: ${event.reason}` : ''}`;
  }
}

/**
 * `web keeps failing to start: gave up after 5 restarts (restart.maxRestarts is 5); last start:
 * exited with code 1 during start (waiting for tcp 127.0.0.1:8080)`: the real count and reason.
 */
function describeGiveUp(event: Of<'gave-up'>): string {
  const what = event.starting ? (event.restarts === 0 ? 'failed to start' : 'keeps failing to start') : event.restarts === 0 ? 'crashed' : 'keeps crashing';
  const allowed = event.restarts === 0 ? '' : ` (restart.maxRestarts is ${event.maxRestarts})`;
  return `${event.service} ${what}: ${givenUpWords(event.restarts)}${allowed}; last ${event.starting ? 'start' : 'run'}: ${event.reason}`;
}

/** `plan (file changed): start web, stop db; blocked: cache` or `plan (interval): no changes`. */
function describePlan(event: Of<'plan'>): string {
  const acts = event.actions.length === 0 ? 'no changes' : event.actions.join(', ');
  return `plan (${event.reason}): ${acts}${event.blocked.length === 0 ? '' : `; blocked: ${event.blocked.join(', ')}`}`;
}

/** `reconciled (file changed)`, or what failed. */
function describeReconciled(event: Of<'reconciled'>, c: Colors): string {
  if (event.failed.length > 0) {
    const failed = event.failed.map((each) => (each.error ? `${each.service} (${each.error})` : each.service)).join(', ');
    return `${c.red('✗')} reconcile (${event.reason}) failed: ${failed}`;
  }
  return event.converged ? `${c.green('✓')} reconciled (${event.reason})` : `reconcile (${event.reason}) done, not converged yet`;
}
