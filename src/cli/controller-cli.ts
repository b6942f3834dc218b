import pc from 'picocolors';
import { parseDuration as parseDurationText } from '../config/units.js';
import { ExitCode, StackError } from '../model/errors.js';
import { findStack, type ControllerOptions, type PassResult, type PoolEvent } from '../api.js';
import { streams, useColor, type GlobalOptions } from './context.js';
import { givenUpWords } from '../reconcile/diff.js';
import { outcomeLine } from './progress.js';
import { formatError } from './report-error.js';
import { hangup } from './hangup.js';

export function parseDuration(value: string | undefined, flag: string): number {
  const ms = value === undefined ? undefined : parseDurationText(value);
  if (ms === undefined || ms <= 0) throw new StackError(ExitCode.actionFailed, `${flag} takes a duration like 500ms, 5s or 1m, got "${value}"`);
  return ms;
}

function stamp(): string {
  return new Date().toTimeString().slice(0, 8);
}

/** How a controller talks to people: one timestamped line per event, on stderr. */
export function controllerOptions(
  options: GlobalOptions,
  settings: { command: string; intervalMs: number; parallel: number },
): ControllerOptions {
  const color = useColor(options, streams.stderr);
  const c = pc.createColors(color);
  const say = (line: string) => streams.stderr.write(`${c.dim(stamp())} ${line}\n`);
  return {
    file: findStack({ file: options.file }),
    ...settings,
    verbose: options.verbose ? (line) => say(c.dim(`$ ${line}`)) : undefined,
    log: say,
    onProgress: (event) => {
      if (event.type === 'end') say(outcomeLine(event.outcome, color));
    },
    onPoolEvent: (event) => say(describePoolEvent(event, c)),
    onPass: reportPasses(say),
  };
}

function describePoolEvent(event: PoolEvent, c: ReturnType<typeof pc.createColors>): string {
  switch (event.type) {
    case 'exited':
      return `${c.yellow('!')} ${event.service} ${event.signal ? `was killed by ${event.signal}` : `exited with code ${event.code}`}`;
    case 'restarting':
      return `${c.cyan('↻')} ${event.service} restarting (restart ${event.attempt} of ${event.maxRestarts})`;
    case 'gave-up':
      return `${c.red('✗')} ${describeGiveUp(event)} (run \`stack restart ${event.service}\` or edit it in stack.yaml)`;
    case 'running':
      return `${c.green('✓')} ${event.service} ${event.again ? 'running again' : 'running (a retry of its failed start)'}`;
    case 'leftovers':
      return `${c.red('✗')} ${event.service}: what its last run left running could not be stopped: ${event.error}`;
  }
}

/**
 * `web keeps failing to start: gave up after 5 restarts (restart.maxRestarts is 5); last start:
 * exited with code 1 during start (waiting for tcp 127.0.0.1:8080)`: the real count and reason.
 */
function describeGiveUp(event: Extract<PoolEvent, { type: 'gave-up' }>): string {
  const what = event.starting ? (event.restarts === 0 ? 'failed to start' : 'keeps failing to start') : event.restarts === 0 ? 'crashed' : 'keeps crashing';
  const allowed = event.restarts === 0 ? '' : ` (restart.maxRestarts is ${event.maxRestarts})`;
  return `${event.service} ${what}: ${givenUpWords(event.restarts)}${allowed}; last ${event.starting ? 'start' : 'run'}: ${event.reason}`;
}

/** Reports passes; the errors of an invalid file once, not again on every interval pass. */
function reportPasses(say: (line: string) => void): (pass: PassResult) => void {
  let lastInvalid = '';
  return (pass) => {
    const invalid = pass.invalid ? formatError(pass.invalid).trimEnd() : '';
    if (invalid && invalid !== lastInvalid) say(`stack.yaml is invalid; keeping the last good state running:\n${invalid}`);
    else if (!invalid && lastInvalid) say('stack.yaml is valid again');
    lastInvalid = invalid;
    if (!invalid) reportPass(pass, say);
  };
}

function reportPass(pass: PassResult, say: (line: string) => void): void {
  if (pass.reason !== 'interval' && pass.reason !== 'start' && !pass.reason.startsWith('requested') && !pass.outcome) {
    say(`no changes (${pass.reason})`);
  }
}

/** Resolves with the first SIGINT or SIGTERM, or 'SIGHUP' when the terminal went away (SIGHUP or EIO). */
export function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const handler = (signal: NodeJS.Signals) => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
      stopListening();
      resolve(signal);
    };
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
    const stopListening = hangup.listen(() => handler('SIGHUP'));
  });
}
