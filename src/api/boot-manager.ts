/**
 * The service manager a boot job is handed to: systemd (`systemctl`, `--user` or the system's)
 * or launchd (`launchctl`, the user's GUI domain). What to run is data, so the same commands are
 * run where the manager runs and printed where it does not (a container, a machine booted
 * without systemd).
 */

import { formatCommand, runCommand, type CommandResult } from '../os/runner.js';
import type { BootScope } from '../config/boot-unit.js';

export interface BootManager {
  kind: 'systemd' | 'launchd';
  /** The job's name as the manager knows it: `stack-web.service`, `dev.stack.web`. */
  name: string;
  /** Whether the manager answers here: systemd is the init system (or the user's manager runs). */
  reachable(): Promise<boolean>;
  /** After the file is written: load it, enable it at boot or login, start it now. */
  enableCommands(): string[][];
  /** Before the file is removed: stop it (systemd runs `stack down`) and disable it. */
  disableCommands(): string[][];
  /** After the file is removed. */
  forgetCommands(): string[][];
  /** What the manager says of the job: `enabled, active`, `loaded, running (pid 42)`. */
  describe(): Promise<string>;
}

export interface ManagerContext {
  verbose?: ((line: string) => void) | undefined;
  env?: Record<string, string> | undefined;
  /** How long a stop may take: `disable --now` waits for `stack down`. */
  stopTimeoutSec: number;
}

// What `systemctl is-system-running` prints while systemd runs; "offline" when it is not the init system.
const SYSTEMD_UP = new Set(['initializing', 'starting', 'running', 'degraded', 'maintenance', 'stopping']);

export function systemdManager(name: string, scope: BootScope, ctx: ManagerContext): BootManager {
  const ctl = scope === 'user' ? ['systemctl', '--user'] : ['systemctl'];
  const ask = (...args: string[]) => run([...ctl, ...args], ctx, 30);
  return {
    kind: 'systemd',
    name,
    async reachable() {
      const result = await ask('is-system-running');
      return SYSTEMD_UP.has(result.stdout.trim());
    },
    enableCommands: () => [[...ctl, 'daemon-reload'], [...ctl, 'enable', '--now', name]],
    disableCommands: () => [[...ctl, 'disable', '--now', name]],
    forgetCommands: () => [[...ctl, 'daemon-reload']],
    async describe() {
      const [enabled, active] = await Promise.all([ask('is-enabled', name), ask('is-active', name)]);
      return `${enabled.stdout.trim() || 'unknown'}, ${active.stdout.trim() || 'unknown'}`;
    },
  };
}

export function launchdManager(label: string, plistFile: string, uid: number, ctx: ManagerContext): BootManager {
  const domain = `gui/${uid}`;
  return {
    kind: 'launchd',
    name: label,
    reachable: () => Promise.resolve(true),
    // bootout first: bootstrap refuses a label that is loaded already (a second install).
    enableCommands: () => [['launchctl', 'bootout', `${domain}/${label}`], ['launchctl', 'bootstrap', domain, plistFile]],
    disableCommands: () => [['launchctl', 'bootout', `${domain}/${label}`]],
    forgetCommands: () => [],
    async describe() {
      const result = await run(['launchctl', 'print', `${domain}/${label}`], ctx, 30);
      if (result.exitCode !== 0) return 'not loaded';
      const state = /^\s*state = (.+)$/m.exec(result.stdout)?.[1]?.trim();
      const pid = /^\s*pid = (\d+)$/m.exec(result.stdout)?.[1];
      return `loaded, ${state ?? 'state unknown'}${pid ? ` (pid ${pid})` : ''}`;
    },
  };
}

/** Runs the commands in order, stopping at the first that fails; `tolerated` lists those whose failure is expected (a bootout of what is not loaded). */
export async function runManagerCommands(commands: readonly string[][], ctx: ManagerContext, tolerated: ReadonlySet<string> = new Set()): Promise<CommandFailure | undefined> {
  for (const argv of commands) {
    const result = await run(argv, ctx, ctx.stopTimeoutSec + 30);
    if (result.exitCode === 0 || tolerated.has(formatCommand(argv))) continue;
    return { command: formatCommand(argv), result };
  }
  return undefined;
}

export interface CommandFailure {
  command: string;
  result: CommandResult;
}

/** The reason a manager's command failed, in one line: its last line of stderr, else how it ended. */
export function whyFailed({ result }: CommandFailure): string {
  if (result.spawnError) return result.spawnError === 'ENOENT' ? 'not found' : result.spawnError;
  const last = result.stderr.trim().split('\n').at(-1);
  if (last) return last;
  return result.timedOut ? 'timed out' : `exit code ${result.exitCode ?? result.signal ?? 'unknown'}`;
}

function run(argv: string[], ctx: ManagerContext, timeoutSec: number): Promise<CommandResult> {
  return runCommand(argv, { verbose: ctx.verbose, env: ctx.env, timeoutMs: timeoutSec * 1000 });
}
