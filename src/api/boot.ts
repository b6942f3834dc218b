/**
 * `stack service install|uninstall|status`: the stack's controller (`stack watch -f <file>`)
 * started at boot by systemd, or at login by launchd on macOS. The unit is rendered by
 * config/boot-unit.ts and config/boot-plist.ts; here the paths, the account and the manager.
 * No dump file: the controller starts from stack.yaml, so a service declared `stopped` stays so.
 */

import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import { bootUnitName, renderSystemdUnit, stackFileOfUnit, systemdUnitDir, unfitForProgram, unfitForUnit, type BootScope, type BootSpec } from '../config/boot-unit.js';
import { launchAgentsDir, launchdLabel, launchdLogFile, renderLaunchdPlist, stackFileOfPlist } from '../config/boot-plist.js';
import { formatIssue } from '../config/issues.js';
import { ExitCode, StackError } from '../model/errors.js';
import type { Desired } from '../model/desired.js';
import { readAccountFiles, resolveAccount } from '../os/accounts.js';
import { formatCommand } from '../os/runner.js';
import { writeFileAtomic } from '../os/write-atomic.js';
import { readStackDetailed } from '../load/read-stack.js';
import { PROVIDERS } from '../providers/registry.js';
import { lingerOf } from '../check/check-boot.js';
import { findStack, type FindOptions } from './stack-file.js';
import { launchdManager, runManagerCommands, systemdManager, whyFailed, type BootManager, type ManagerContext } from './boot-manager.js';

export type { BootScope } from '../config/boot-unit.js';
export { lingerWarning as lingerWarningOf } from '../check/check-boot.js';

export interface BootOptions extends FindOptions {
  /** Absent: the system's manager when run as root, else the user's (always the user's on macOS). */
  scope?: BootScope | undefined;
  /** The account a system unit runs as; default: the user who ran sudo, else the caller. */
  as?: string | undefined;
  /** How the unit runs stack: the Node binary and the CLI's script (`process.execPath`, bin/stack.cjs). */
  program: readonly string[];
  platform?: NodeJS.Platform;
  /** Where the unit or plist goes instead of the manager's own folder (tests). */
  unitDir?: string | undefined;
  lingerDir?: string | undefined;
  verbose?: ((line: string) => void) | undefined;
}

/** A boot job of this stack: where its file is and who runs it. */
export interface BootJob {
  kind: 'systemd' | 'launchd';
  scope: BootScope;
  name: string;
  file: string;
}

export interface InstallOutcome {
  job: BootJob;
  text: string;
  /** The manager enabled and started it; otherwise `commands` are for the person to run where it runs. */
  started: boolean;
  /** The manager is not reachable here: systemd is not the init system (a container). */
  offline: boolean;
  commands: string[];
  /** A unit that was running with other text: the change takes effect at its next start. */
  replacedRunning: boolean;
  /** stack.yaml's variables that only the caller's shell sets: the unit does not have them. */
  shellOnly: string[];
  /** The user whose lingering is off (a `--user` unit would stop at logout). */
  lingerOffFor?: string | undefined;
}

/** Renders this stack's job and, unless `dryRun`, writes it and hands it to the manager. */
export async function installBoot(options: BootOptions & { dryRun?: boolean }): Promise<InstallOutcome> {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const scope = scopeOf(options, platform);
  const file = findStack(options);
  const { desired } = await readStackDetailed(file, { providers: PROVIDERS, cwd: options.cwd, env, requireVariables: true });
  for (const value of [desired.file, desired.root]) {
    const unfit = unfitForUnit(value);
    if (unfit) throw new StackError(ExitCode.actionFailed, `${JSON.stringify(value)} cannot go into a boot unit: ${unfit}`, { hint: 'move the stack to a folder with a plainer name' });
  }
  const program = options.program[0] ?? '';
  const unfitProgram = platform === 'darwin' ? undefined : unfitForProgram(program);
  if (unfitProgram) throw new StackError(ExitCode.actionFailed, `${JSON.stringify(program)} cannot start a boot unit: ${unfitProgram}`, { hint: 'install Node.js where its path is plainer' });
  const account = scope === 'system' ? systemAccount(options, env) : undefined;
  if (scope === 'user' && options.as !== undefined) throw new StackError(ExitCode.actionFailed, '--as names the account of a --system unit; a --user unit runs as its user');
  const spec: BootSpec = { project: desired.project, stackFile: desired.file, root: desired.root, program: options.program, path: env.PATH, scope, account, stopTimeoutSec: stopTimeoutOf(desired) };
  const home = account?.home ?? env.HOME ?? homedir();
  const job = jobOf(spec, { platform, home, env, unitDir: options.unitDir });
  const text = job.kind === 'launchd' ? renderLaunchdPlist(spec, launchdLogFile(home, desired.project)) : renderSystemdUnit(spec);
  await refuseOthers(job, desired.file, options, platform, env);
  const shellOnly = await variablesFromShell(desired, file, { cwd: options.cwd, env, home, user: account?.user });
  const outcome = { job, text, started: false, offline: false, commands: [] as string[], replacedRunning: false, shellOnly };
  if (options.dryRun) return outcome;

  const before = await readFile(job.file, 'utf8').catch(() => undefined);
  await writeJob(job, text, home);
  const ctx = managerContext(spec, options, env);
  const manager = managerOf(job, ctx);
  const lingerOffFor = job.kind === 'systemd' && scope === 'user' ? await lingerOffOf(env, options) : undefined;
  const commands = manager.enableCommands();
  if (!(await manager.reachable())) return { ...outcome, offline: true, commands: commands.map(formatCommand), lingerOffFor };
  const wasActive = before !== undefined && before !== text && job.kind === 'systemd' && (await manager.describe()).endsWith(', active');
  const failed = await runManagerCommands(commands, ctx, new Set(job.kind === 'launchd' ? [formatCommand(commands[0] ?? [])] : []));
  if (failed) {
    throw new StackError(ExitCode.actionFailed, `${failed.command} failed: ${whyFailed(failed)}`, { hint: `${job.file} is written; ${job.kind === 'systemd' ? `see \`journalctl ${scope === 'user' ? '--user ' : ''}-u ${job.name}\`` : `see ${launchdLogFile(home, desired.project)}`}` });
  }
  return { ...outcome, started: true, commands: commands.map(formatCommand), replacedRunning: wasActive, lingerOffFor };
}

export interface UninstallOutcome {
  removed: BootJob[];
  offline: boolean;
  /** Run, or (offline) what was not needed: the manager never had the job loaded. */
  commands: string[];
}

/** Stops and disables every boot job that runs this stack file, and removes its file (and its `.wants` link). */
export async function uninstallBoot(options: Omit<BootOptions, 'program' | 'as'>): Promise<UninstallOutcome> {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const file = findStack(options);
  const jobs = await jobsOfStack(file, options, platform, env);
  const commands: string[] = [];
  let offline = false;
  for (const job of jobs) {
    const ctx: ManagerContext = { verbose: options.verbose, env: pathOf(env), stopTimeoutSec: await stopTimeoutOfUnit(job) };
    const manager = managerOf(job, ctx);
    if (await manager.reachable()) {
      const failed = await runManagerCommands(manager.disableCommands(), ctx, new Set(job.kind === 'launchd' ? manager.disableCommands().map(formatCommand) : []));
      if (failed) throw new StackError(ExitCode.actionFailed, `${failed.command} failed: ${whyFailed(failed)}`, { hint: `${job.file} is left in place` });
      commands.push(...manager.disableCommands().map(formatCommand));
    } else offline = true;
    await rm(job.file, { force: true });
    // What `systemctl disable` removes, for a unit enabled while systemd was not running.
    if (job.kind === 'systemd') await rm(join(job.file, '..', `${job.scope === 'user' ? 'default' : 'multi-user'}.target.wants`, job.name), { force: true });
    if (!offline) {
      const forgot = await runManagerCommands(manager.forgetCommands(), ctx);
      if (!forgot) commands.push(...manager.forgetCommands().map(formatCommand));
    }
  }
  return { removed: jobs, offline, commands };
}

export interface BootStatus {
  stackFile: string;
  jobs: (BootJob & { state: string })[];
}

/** The boot jobs that run this stack file, each with what its manager says of it. */
export async function bootStatus(options: Omit<BootOptions, 'program' | 'as'>): Promise<BootStatus> {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const file = findStack(options);
  const jobs = await jobsOfStack(file, options, platform, env);
  const described = await Promise.all(
    jobs.map(async (job) => {
      const manager = managerOf(job, { verbose: options.verbose, env: pathOf(env), stopTimeoutSec: 0 });
      const state = (await manager.reachable()) ? await manager.describe() : 'installed; systemd is not running here (not the init system)';
      return { ...job, state };
    }),
  );
  return { stackFile: file, jobs: described };
}

function scopeOf(options: BootOptions, platform: NodeJS.Platform): BootScope {
  if (platform === 'darwin') {
    if (options.scope === 'system') throw new StackError(ExitCode.actionFailed, 'on macOS stack installs a LaunchAgent (--user): it starts at login', { hint: 'leave out --system' });
    return 'user';
  }
  return options.scope ?? (process.geteuid?.() === 0 ? 'system' : 'user');
}

/** Who a system unit runs as: `--as`, else whoever ran sudo, else the caller; the group is the account's own. */
function systemAccount(options: BootOptions, env: NodeJS.ProcessEnv): { user: string; group: string; home: string } {
  const user = options.as ?? env.SUDO_USER ?? userInfo().username;
  const files = readAccountFiles();
  const found = resolveAccount(user, undefined, files);
  if (!found.ok) throw new StackError(ExitCode.actionFailed, `--as: ${found.message}`, { hint: found.hint });
  const group = files.group.split('\n').map((line) => line.split(':')).find((fields) => fields[2] === String(found.account.gid))?.[0];
  return { user: found.account.name, group: group ?? String(found.account.gid), home: found.account.home };
}

/** Long enough for `stack down` to stop every service in turn, each with its own timeout; systemd's 90 s at least. */
function stopTimeoutOf(desired: Desired): number {
  const stops = desired.services.filter((service) => service.enabled).reduce((sum, service) => sum + service.stop.timeoutMs, 0);
  return Math.max(90, Math.ceil(stops / 1000) + 30);
}

async function stopTimeoutOfUnit(job: BootJob): Promise<number> {
  const text = await readFile(job.file, 'utf8').catch(() => '');
  return Number(/^(?:TimeoutStopSec=|\s*<integer>)(\d+)/m.exec(text)?.[1] ?? 90);
}

function jobOf(spec: BootSpec, where: { platform: NodeJS.Platform; home: string; env: NodeJS.ProcessEnv; unitDir: string | undefined }): BootJob {
  if (where.platform === 'darwin') {
    const name = launchdLabel(spec.project);
    return { kind: 'launchd', scope: 'user', name, file: join(where.unitDir ?? launchAgentsDir(where.home), `${name}.plist`) };
  }
  const name = bootUnitName(spec.project);
  return { kind: 'systemd', scope: spec.scope, name, file: join(where.unitDir ?? systemdUnitDir(spec.scope, where.home, where.env.XDG_CONFIG_HOME), name) };
}

/** Every job of ours in the folders the manager reads, with the stack file it runs. */
async function jobsIn(platform: NodeJS.Platform, options: { unitDir?: string | undefined; scope?: BootScope | undefined }, env: NodeJS.ProcessEnv): Promise<(BootJob & { stackFile: string | undefined })[]> {
  const home = env.HOME ?? homedir();
  const places: { kind: BootJob['kind']; scope: BootScope; dir: string }[] =
    platform === 'darwin'
      ? [{ kind: 'launchd', scope: 'user', dir: options.unitDir ?? launchAgentsDir(home) }]
      : (['user', 'system'] as const).filter((scope) => options.scope === undefined || options.scope === scope).map((scope) => ({ kind: 'systemd', scope, dir: options.unitDir ?? systemdUnitDir(scope, home, env.XDG_CONFIG_HOME) }));
  const found = await Promise.all(
    places.map(async ({ kind, scope, dir }) => {
      const names = (await readdir(dir).catch(() => [] as string[])).filter((name) => (kind === 'launchd' ? /^dev\.stack\..+\.plist$/.test(name) : /^stack-.+\.service$/.test(name)));
      return Promise.all(
        names.map(async (name) => {
          const text = await readFile(join(dir, name), 'utf8').catch(() => '');
          const stackFile = kind === 'launchd' ? stackFileOfPlist(text) : stackFileOfUnit(text);
          return { kind, scope, name: kind === 'launchd' ? name.replace(/\.plist$/, '') : name, file: join(dir, name), stackFile };
        }),
      );
    }),
  );
  // With one folder for both scopes (tests), each file is found once.
  return [...new Map(found.flat().map((job) => [job.file, job])).values()];
}

async function jobsOfStack(file: string, options: { unitDir?: string | undefined; scope?: BootScope | undefined }, platform: NodeJS.Platform, env: NodeJS.ProcessEnv): Promise<BootJob[]> {
  return (await jobsIn(platform, options, env)).filter((job) => job.stackFile === file).map(({ kind, scope, name, file: path }) => ({ kind, scope, name, file: path }));
}

/** Two controllers of one stack would fight over its lock, and one unit name cannot run two stacks. */
async function refuseOthers(job: BootJob, stackFile: string, options: BootOptions, platform: NodeJS.Platform, env: NodeJS.ProcessEnv): Promise<void> {
  const jobs = await jobsIn(platform, { unitDir: options.unitDir }, env);
  const taken = jobs.find((each) => each.file === job.file && each.stackFile !== stackFile);
  if (taken) {
    const other = taken.stackFile === undefined ? 'was not written by stack' : `runs another stack: ${taken.stackFile}`;
    throw new StackError(ExitCode.actionFailed, `${job.file} ${other}`, {
      hint: taken.stackFile === undefined ? 'move it away first' : `give this stack its own name (\`project:\` in ${stackFile}), or remove that one first: stack service uninstall -f ${JSON.stringify(taken.stackFile)}`,
    });
  }
  const twin = jobs.find((each) => each.stackFile === stackFile && each.file !== job.file);
  if (twin) {
    throw new StackError(ExitCode.actionFailed, `this stack is installed already as ${twin.name} (${twin.scope}): ${twin.file}`, {
      hint: `remove it first: stack service uninstall --${twin.scope} -f ${JSON.stringify(stackFile)}`,
    });
  }
}

async function writeJob(job: BootJob, text: string, home: string): Promise<void> {
  try {
    await mkdir(join(job.file, '..'), { recursive: true });
    if (job.kind === 'launchd') await mkdir(join(home, 'Library', 'Logs'), { recursive: true });
    await writeFileAtomic(job.file, text, { mode: 0o644 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EACCES' && code !== 'EPERM' && code !== 'EROFS') throw error;
    throw new StackError(ExitCode.actionFailed, `cannot write ${job.file}: ${code === 'EROFS' ? 'read-only file system' : 'permission denied'}`, {
      hint: job.scope === 'system' ? 'a --system unit is installed by root: run it with sudo (the unit still runs as you), or install a --user unit' : undefined,
      cause: error,
    });
  }
}

function managerContext(spec: BootSpec, options: BootOptions, env: NodeJS.ProcessEnv): ManagerContext {
  return { verbose: options.verbose, stopTimeoutSec: spec.stopTimeoutSec, env: pathOf(env) };
}

/** The manager's commands are found on the caller's PATH (the library's caller may pass its own). */
function pathOf(env: NodeJS.ProcessEnv): Record<string, string> | undefined {
  return env.PATH === undefined ? undefined : { PATH: env.PATH };
}

function managerOf(job: BootJob, ctx: ManagerContext): BootManager {
  if (job.kind === 'systemd') return systemdManager(job.name, job.scope, ctx);
  return launchdManager(job.name, job.file, process.getuid?.() ?? 0, ctx);
}

async function lingerOffOf(env: NodeJS.ProcessEnv, options: BootOptions): Promise<string | undefined> {
  const user = env.USER ?? userInfo().username;
  return (await lingerOf(user, { lingerDir: options.lingerDir, verbose: options.verbose, env: pathOf(env) })) === 'off' ? user : undefined;
}

/**
 * The variables stack.yaml reads that only the caller's shell sets (not `.env` beside it): the
 * unit's controller starts with PATH and the account's HOME, USER, LOGNAME and SHELL alone.
 */
async function variablesFromShell(desired: Desired, file: string, ctx: { cwd?: string | undefined; env: NodeJS.ProcessEnv; home: string; user: string | undefined }): Promise<string[]> {
  const user = ctx.user ?? ctx.env.USER ?? userInfo().username;
  const bootEnv = { PATH: ctx.env.PATH, HOME: ctx.home, USER: user, LOGNAME: user, SHELL: ctx.env.SHELL };
  const atBoot = await readStackDetailed(file, { providers: PROVIDERS, cwd: ctx.cwd, env: bootEnv, requireVariables: false, checkPlugins: false });
  const here = new Set((desired.warnings ?? []).map(formatIssue));
  return [...atBoot.missingVariables.map((missing) => `${missing.path}: \${${missing.name}} is not set`), ...(atBoot.desired.warnings ?? []).map(formatIssue).filter((issue) => !here.has(issue))];
}
