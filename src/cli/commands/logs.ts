import { statSync } from 'node:fs';
import pc from 'picocolors';
import { formatCommand, readApplied } from '../../api.js';
import { ExitCode, StackError } from '../../model/errors.js';
import { checkServiceNames, open, streams, useColor, type GlobalOptions } from '../context.js';
import { controllerNotice } from '../controller-notice.js';
import { throughController } from '../through-controller.js';
import type { ApiClient } from '../../api/connect.js';

interface LogsOptions extends GlobalOptions {
  lines?: string;
  follow?: boolean;
}

const PALETTE = ['cyan', 'magenta', 'green', 'yellow', 'blue', 'red'] as const;

export async function run(options: LogsOptions, names: string[]): Promise<number> {
  const lines = Number(options.lines ?? 100);
  if (!Number.isInteger(lines) || lines < 0) throw new StackError(ExitCode.actionFailed, `--lines takes a whole number, got "${options.lines}"`);
  checkNoStackFileAmong(names);
  const workspace = await open(options);
  const applied = await readApplied(workspace);
  checkServiceNames(workspace.desired, applied, names);
  const notice = await controllerNotice(workspace);
  if (notice) streams.stderr.write(`${notice}\n`);
  const chosen = names.length > 0 ? names : workspace.desired.services.filter((service) => service.enabled).map((service) => service.name);
  const color = useColor(options);
  const c = pc.createColors(color);
  const width = Math.max(0, ...chosen.map((name) => name.length));
  const prefixes = new Map(chosen.map((name, index) => [name, c[PALETTE[index % PALETTE.length] as (typeof PALETTE)[number]](`${name.padEnd(width)} |`)]));
  const write = (name: string, text: readonly string[]) => streams.stdout.write(text.map((line) => `${prefixes.get(name) ?? `${name} |`} ${line}\n`).join(''));

  // Ctrl+C ends a follow (and docker's logs); what was read so far is shown, and stack exits 0.
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const told = await throughController(options, (api) => logsThrough(api, { names: chosen, lines, follow: options.follow === true, signal: abort.signal }, write), 'reading the log files');
    if (told !== undefined) return told;
    const shown: Promise<number | undefined>[] = [];
    // One service after another up to where each is caught up, so their tails come in order;
    // then every follow goes on side by side.
    for (const name of chosen) {
      const desired = workspace.desired.services.find((service) => service.name === name);
      const record = applied.get(name);
      const which = desired?.provider ?? record?.provider;
      if (which === undefined) continue;
      const provider = await workspace.providers.get(which);
      let caughtUp!: () => void;
      const ready = new Promise<void>((resolve) => (caughtUp = resolve));
      const request = { lines, follow: options.follow === true, signal: abort.signal, write: (text: readonly string[]) => write(name, text), caughtUp, attached: names.length === 1 };
      const done = provider.logs(name, desired, record, request, workspace.ctx);
      done.catch(() => undefined);
      shown.push(done);
      await Promise.race([ready, done]);
    }
    const codes = await Promise.all(shown);
    // An attached command of the provider's own (a plugin's `logs`) gives its exit code.
    return codes.find((code) => code !== undefined) ?? ExitCode.ok;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

/** The controller sends every tail, then (following) new lines until Ctrl+C; its `end` line gives the exit code. */
async function logsThrough(api: ApiClient, request: { names: string[]; lines: number; follow: boolean; signal: AbortSignal }, write: (name: string, text: readonly string[]) => void): Promise<number> {
  const lines = api.logs({ services: request.names, lines: request.lines, follow: request.follow, signal: request.signal })[Symbol.asyncIterator]();
  try {
    for (let next = await lines.next(); !next.done; next = await lines.next()) {
      if (next.value.type === 'line') write(next.value.service, [next.value.text]);
      else if (next.value.type === 'end') return next.value.exitCode;
    }
  } catch (error) {
    // Ctrl+C closed the follow: what was read is shown, and stack exits 0.
    if (!request.signal.aborted) throw error;
  }
  return ExitCode.ok;
}

/**
 * `stack logs -f stack.yaml web`: here -f is --follow (see argv.ts), so the file arrives as a
 * service name. No service name has a dot, so a YAML file among the names is that mistake.
 */
function checkNoStackFileAmong(names: readonly string[]): void {
  const file = names.find((name) => /\.ya?ml$/.test(name) && isFile(name));
  if (file === undefined) return;
  const instead = formatCommand(['stack', 'logs', '--file', file, ...names.filter((name) => name !== file)]);
  throw new StackError(ExitCode.serviceNotFound, `no service named "${file}"`, {
    hint: `for \`logs\`, -f means --follow (as in tail -f); give the stack file with --file: ${instead}`,
  });
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
