/** Checks that come from stack.yaml itself: required variables and plugin folders. */

import type { ConfigIssue } from '../model/errors.js';
import type { MissingVariable } from '../config/interpolate-document.js';
import { loadPluginDir } from '../load/read-plugin.js';
import type { DesiredService, DesiredServiceOf } from '../model/desired.js';
import { fail, pass, type CheckResult } from './types.js';
import { escapeControls } from '../config/issues.js';

export function checkVariables(missing: readonly MissingVariable[]): CheckResult[] {
  if (missing.length === 0) return [pass('variable', 'every required variable (${NAME:?}) is set')];
  return missing.map((entry) => {
    const where = entry.position ? `${entry.position.file}:${entry.position.line}:${entry.position.column}: ` : '';
    return fail('variable', `${where}${entry.message}`, `export ${entry.name}=… or add it to .env beside stack.yaml`);
  });
}

export async function checkPlugins(services: readonly DesiredService[], cwd: string): Promise<CheckResult[]> {
  const plugins = services.filter((service): service is DesiredServiceOf<'plugin'> => service.enabled && service.provider === 'plugin');
  return Promise.all(
    plugins.map(async (service) => {
      const dir = service.plugin.dir;
      const result = await loadPluginDir(dir, cwd).catch((error: Error) => ({ plugin: undefined, issues: [{ message: error.message, path: '' } as ConfigIssue] }));
      if (result.plugin) return pass('plugin', `${service.name}: ${escapeControls(dir)}/plugin.yaml is valid`);
      const issue = result.issues[0];
      const where = issue?.position ? `${issue.position.file}:${issue.position.line}:${issue.position.column}: ` : '';
      const more = result.issues.length > 1 ? ` (and ${result.issues.length - 1} more; run stack validate)` : '';
      return fail('plugin', `${service.name}: ${where}${issue?.message ?? 'invalid plugin'}${more}`, `fix the plugin folder ${escapeControls(dir)}`);
    }),
  );
}
