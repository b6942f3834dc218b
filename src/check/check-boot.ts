/**
 * `stack check` of a stack started at boot by a `--user` unit: the user's systemd manager runs
 * only while the user is logged in, unless lingering is on (logind starts it at boot then).
 */

import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bootUnitName, stackFileOfUnit, systemdUnitDir } from '../config/boot-unit.js';
import { runCommand } from '../os/runner.js';
import { warn, pass, type CheckResult } from './types.js';

export interface LingerContext {
  user: string;
  home: string;
  xdgConfigHome?: string | undefined;
  /** Where logind records lingering users (tests point elsewhere). */
  lingerDir?: string;
  verbose?: ((line: string) => void) | undefined;
  /** Where `loginctl` is looked for (PATH). */
  env?: Record<string, string> | undefined;
}

/** Whether `user`'s manager outlives their sessions: logind's file, else what `loginctl` says. */
export async function lingerOf(user: string, ctx: Pick<LingerContext, 'lingerDir' | 'verbose' | 'env'> = {}): Promise<'on' | 'off'> {
  const file = join(ctx.lingerDir ?? '/var/lib/systemd/linger', user);
  if (await access(file).then(() => true, () => false)) return 'on';
  const result = await runCommand(['loginctl', 'show-user', user, '-p', 'Linger'], { verbose: ctx.verbose, env: ctx.env, timeoutMs: 10_000 });
  // No logind here (a container) or no loginctl: the file above is what logind reads at boot.
  return /^Linger=yes$/m.test(result.stdout) ? 'on' : 'off';
}

/** What lingering being off means for a user unit, and the command that turns it on. */
export function lingerWarning(unit: string, user: string): { detail: string; hint: string } {
  return {
    detail: `${unit} is a --user unit and lingering is off for ${user}: it starts at their login, not at boot, and stops when they log out`,
    hint: `loginctl enable-linger ${user}`,
  };
}

/** A warning when this stack's `--user` unit is installed and lingering is off; nothing when there is no such unit. */
export async function checkLinger(project: string, stackFile: string, ctx: LingerContext): Promise<CheckResult[]> {
  const unit = bootUnitName(project);
  const text = await readFile(join(systemdUnitDir('user', ctx.home, ctx.xdgConfigHome), unit), 'utf8').catch(() => undefined);
  if (text === undefined || stackFileOfUnit(text) !== stackFile) return [];
  const linger = await lingerOf(ctx.user, ctx);
  if (linger === 'on') return [pass('boot', `${unit} (--user) starts at boot: lingering is on for ${ctx.user}`)];
  const { detail, hint } = lingerWarning(unit, ctx.user);
  return [warn('boot', detail, hint)];
}
