import { statSync } from 'node:fs';
import pc from 'picocolors';
import { readApplied, type Workspace } from '../../api.js';
import type { ComposeSpec } from '../../model/desired.js';
import { composeSpecFromFields } from '../../providers/compose/fields.js';
import type { Applied } from '../../model/observed.js';
import { ExitCode, StackError } from '../../model/errors.js';
import type { PluginProvider } from '../../providers/plugin/plugin-provider.js';
import { logFileOf, readLogTail } from '../../providers/process/logs.js';
import { LogFollower } from '../../providers/process/follow-log.js';
import { formatCommand } from '../../os/runner.js';
import { assertOwnDir, assertOwnFile } from '../../os/safe-file.js';
import { checkServiceNames, open, streams, useColor, type GlobalOptions } from '../context.js';
import { controllerNotice } from '../controller-notice.js';

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
  const pluginCode = await pluginLogs(workspace, names, options.follow === true);
  if (pluginCode !== undefined) return pluginCode;
  const chosen = names.length > 0 ? names : workspace.desired.services.filter((service) => service.enabled).map((service) => service.name);
  const color = useColor(options);
  const c = pc.createColors(color);
  const width = Math.max(0, ...chosen.map((name) => name.length));
  const prefixes = new Map(chosen.map((name, index) => [name, c[PALETTE[index % PALETTE.length] as (typeof PALETTE)[number]](`${name.padEnd(width)} |`)]));
  const write = (name: string, line: string) => streams.stdout.write(`${prefixes.get(name)} ${line}\n`);

  const compose = composeSpecsOf(workspace, applied, chosen);
  const files = new Map(chosen.filter((name) => !compose.has(name)).map((name) => [name, logFileOf(workspace.paths.dir, name)]));
  // Said, not skipped in silence: a log that is a link is never read (that would show its target).
  if (files.size > 0 && (await assertOwnDir(workspace.paths.logsDir)) === 'ok') for (const file of files.values()) await assertOwnFile(file);
  // With -f, each follower takes its place first, and the tail is read up to exactly there:
  // no line shown twice or missed between the two.
  const followers = new Map<string, LogFollower>();
  for (const [name, file] of files) {
    let end: number | undefined;
    if (options.follow) {
      const { follower, size } = await LogFollower.atEnd(file);
      followers.set(name, follower);
      end = size;
    }
    const tail = lines > 0 ? await readLogTail(file, lines, 0, end).catch(() => [] as string[]) : [];
    for (const line of tail) write(name, line);
  }
  const composeDone = composeLogsOf(workspace, compose, lines, options.follow === true, write);
  if (!options.follow || files.size === 0) return composeDone.then(() => ExitCode.ok);
  const [code] = await Promise.all([follow(followers, write), composeDone]);
  return code;
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

function composeSpecsOf(workspace: Workspace, applied: Applied, names: readonly string[]): Map<string, ComposeSpec> {
  const specs = new Map<string, ComposeSpec>();
  for (const name of names) {
    const desired = workspace.desired.services.find((service) => service.name === name);
    const record = applied.get(name);
    const spec = desired ? desired.compose : record?.provider === 'compose' ? composeSpecFromFields(record.fields) : undefined;
    if (spec) specs.set(name, spec);
  }
  return specs;
}

/** Compose services' logs come from docker (`docker compose logs`), streamed until Ctrl+C with -f. */
async function composeLogsOf(workspace: Workspace, specs: Map<string, ComposeSpec>, lines: number, follow: boolean, write: (name: string, line: string) => void): Promise<void> {
  if (specs.size === 0) return;
  const { composeLogs } = await import('../../providers/compose/logs.js');
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await composeLogs(specs, { follow, lines, signal: abort.signal, verbose: workspace.ctx.verbose, write });
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

/** Follows several log files at once until Ctrl+C, across rotations (see LogFollower). */
async function follow(followers: Map<string, LogFollower>, write: (name: string, line: string) => void): Promise<number> {
  let stopped = false;
  const stop = () => {
    stopped = true;
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  while (!stopped) {
    for (const [name, follower] of followers) for (const line of await follower.read()) write(name, line);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  for (const [name, follower] of followers) {
    for (const line of await follower.read()) write(name, line);
    const partial = follower.takePartial();
    if (partial !== undefined) write(name, partial);
    await follower.close();
  }
  return ExitCode.ok;
}

/** One plugin service with a `logs` command: that command shows its logs (exit code passed through). */
async function pluginLogs(workspace: Workspace, names: readonly string[], follow: boolean): Promise<number | undefined> {
  const service = names.length === 1 ? workspace.desired.services.find((candidate) => candidate.name === names[0]) : undefined;
  if (service?.provider !== 'plugin') return undefined;
  const provider = (await workspace.providers.get('plugin')) as PluginProvider;
  return provider.showLogs(service, follow, workspace.ctx);
}
