/**
 * `user:` and `group:` of a process service: checked when stack.yaml loads (an unknown user is
 * an invalid file, as compose refuses one at `up`), resolved to ids again at each start (an
 * account removed since is a failed start), and judged against the caller's privilege.
 */

import type { DesiredService } from '../../model/desired.js';
import { invalidConfig, type ConfigIssue } from '../../model/errors.js';
import { OperationError } from '../../model/provider.js';
import { describeAccount, mayBecome, readAccountFiles, resolveAccount, type Account, type AccountFiles } from '../../os/accounts.js';
import type { ProcessSpec } from './spec.js';

/** Every process service's `user` and `group` name an account of this machine; rejects with exit 5 listing the others. */
export function checkAccounts(services: readonly DesiredService[]): Promise<void> {
  const named = services.flatMap((service) => (service.process?.user === undefined ? [] : [{ name: service.name, spec: service.process }]));
  if (named.length === 0) return Promise.resolve();
  const files = readAccountFiles();
  const issues = named.flatMap(({ name, spec }): ConfigIssue[] => {
    const result = resolveAccount(spec.user as string, spec.group, files);
    if (result.ok) return [];
    const position = spec.accountAt?.[result.key];
    return [{ message: result.message, path: `services.${name}.${result.key}`, ...(position ? { position } : {}), ...(result.hint ? { hint: result.hint } : {}) }];
  });
  if (issues.length > 0) return Promise.reject(invalidConfig(issues[0]?.position?.file ?? 'stack.yaml', issues));
  return Promise.resolve();
}

export type AccountVerdict = { ok: true; account: Account | undefined } | { ok: false; message: string; hint?: string };

/** The account a start runs the service as (undefined: stack's own), or why it cannot: gone, or stack may not become it (not root). */
export function judgeAccount(name: string, spec: Pick<ProcessSpec, 'user' | 'group'>, files: AccountFiles = readAccountFiles()): AccountVerdict {
  if (spec.user === undefined) return { ok: true, account: undefined };
  const result = resolveAccount(spec.user, spec.group, files);
  if (!result.ok) return { ok: false, message: `${name}: ${result.message}`, ...(result.hint ? { hint: result.hint } : {}) };
  if (!mayBecome(result.account)) {
    return { ok: false, message: `stack runs as uid ${process.geteuid?.()} and cannot start ${name} as ${describeAccount(result.account)}`, hint: 'run stack as root, or remove user:' };
  }
  return { ok: true, account: result.account };
}

/** judgeAccount for a start: one line (its hint after a colon) when it cannot. */
export function accountToRunAs(name: string, spec: Pick<ProcessSpec, 'user' | 'group'>): Account | undefined {
  const verdict = judgeAccount(name, spec);
  if (verdict.ok) return verdict.account;
  throw new OperationError(name, verdict.hint ? `${verdict.message}: ${verdict.hint}` : verdict.message);
}
