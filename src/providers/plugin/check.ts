/** `stack check`: every plugin service's folder holds a valid plugin.yaml. */

import { escapeControls } from '../../config/issues.js';
import { loadPluginDir } from '../../load/read-plugin.js';
import type { DesiredService } from '../../model/desired.js';
import type { ConfigIssue } from '../../model/errors.js';
import type { ProviderCheck } from '../../model/provider.js';

export async function checkPluginFolders(services: readonly DesiredService[], cwd: string): Promise<ProviderCheck[]> {
  return Promise.all(
    services.flatMap((service) => (service.plugin ? [{ name: service.name, dir: service.plugin.dir, git: service.plugin.git }] : [])).map(async ({ name, dir, git }) => {
      if (git?.commit === undefined && git) return { check: 'plugin', ok: false, detail: `${name}: its git plugin is not pinned to a commit`, hint: `run \`stack update ${name}\`` };
      const fetched = git ? await (await import('../../load/git-plugin.js')).fetchGitPlugin(name, git, dir).then(() => undefined, (error: Error) => error.message) : undefined;
      if (fetched !== undefined) return { check: 'plugin', ok: false, detail: fetched, hint: 'check plugin.git and plugin.commit' };
      const result = await loadPluginDir(dir, cwd).catch((error: Error) => ({ plugin: undefined, issues: [{ message: error.message, path: '' } as ConfigIssue] }));
      if (result.plugin) return { check: 'plugin', ok: true, detail: `${name}: ${escapeControls(dir)}/plugin.yaml is valid` };
      const issue = result.issues[0];
      const where = issue?.position ? `${issue.position.file}:${issue.position.line}:${issue.position.column}: ` : '';
      const more = result.issues.length > 1 ? ` (and ${result.issues.length - 1} more; run stack validate)` : '';
      return { check: 'plugin', ok: false, detail: `${name}: ${where}${issue?.message ?? 'invalid plugin'}${more}`, hint: `fix the plugin folder ${escapeControls(dir)}` };
    }),
  );
}
