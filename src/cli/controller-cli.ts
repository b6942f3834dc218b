import pc from 'picocolors';
import { parseDuration as parseDurationText } from '../config/units.js';
import { ExitCode, StackError } from '../model/errors.js';
import { findStack, type ControllerOptions, type PassResult } from '../api.js';
import { streams, useColor, type GlobalOptions } from './context.js';
import { describeEvent } from './event-line.js';
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
    onPoolEvent: (event) => say(describeEvent(event, c) ?? event.type),
    onPass: reportPasses(say),
  };
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
