import type { PluginManifest } from '../../config/plugin-file.js';
import { loadPluginDir } from '../../load/read-plugin.js';
import { createRedactor, type Redact } from '../../config/sensitive.js';
import type { DesiredService } from '../../model/desired.js';
import type { AppliedService } from '../../model/observed.js';
import { OperationError, type OperationContext } from '../../model/provider.js';

/** A plugin service as its lifecycle commands see it. */
export interface PluginTarget {
  name: string;
  plugin: PluginManifest;
  /** plugin.yaml's env, then stack.yaml's for the service (which wins), then stack's own variables. */
  env: Record<string, string>;
}

/** The plugin folder: from stack.yaml, or from the state file once the service left it. */
export function pluginDirOf(name: string, desired: DesiredService | undefined, applied: AppliedService | undefined): string {
  const dir = desired?.plugin?.dir ?? applied?.fields['plugin.dir'];
  if (dir === undefined) throw new OperationError(name, `${name}: no plugin folder is declared or recorded`);
  return dir;
}

/** The env lifecycle commands and scripts run with (added to the caller's environment). */
export function pluginEnv(name: string, plugin: PluginManifest, desired: DesiredService | undefined): Record<string, string> {
  return { ...plugin.env, ...desired?.plugin?.env, STACK_SERVICE: name, STACK_PLUGIN_DIR: plugin.dir };
}

export type LoadedTarget = { ok: true; target: PluginTarget } | { ok: false; missing: boolean; reason: string };

/** Reads the service's plugin.yaml afresh (level-based: every operation sees the file as it is now). */
export async function loadTarget(name: string, desired: DesiredService | undefined, applied: AppliedService | undefined): Promise<LoadedTarget> {
  const dir = pluginDirOf(name, desired, applied);
  const result = await loadPluginDir(dir);
  if (!result.plugin) {
    const first = result.issues[0];
    const at = first?.position ? `${first.position.file}:${first.position.line}:${first.position.column}: ` : '';
    return { ok: false, missing: result.missing === true, reason: `${at}${first?.message ?? 'invalid plugin.yaml'}` };
  }
  return { ok: true, target: { name, plugin: result.plugin, env: pluginEnv(name, result.plugin, desired) } };
}

/** Like loadTarget, but a plugin that cannot be read fails the operation. */
export async function requireTarget(name: string, desired: DesiredService | undefined, applied: AppliedService | undefined): Promise<PluginTarget> {
  const loaded = await loadTarget(name, desired, applied);
  if (!loaded.ok) throw new OperationError(name, `${name}: ${loaded.reason}`);
  return loaded.target;
}

/** The stack's redactor, plus the secrets of plugin.yaml's own env (its env files, keys named like secrets). */
export function redactorFor(target: PluginTarget, ctx: Pick<OperationContext, 'redact'>): Redact {
  if (target.plugin.secrets.length === 0) return ctx.redact;
  const own = createRedactor(target.plugin.secrets);
  return (text, cut) => own(ctx.redact(text, cut), cut);
}
