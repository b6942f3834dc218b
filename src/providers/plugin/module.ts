/** The plugin provider as stack.yaml and the planner see it: `plugin:`, `env`, `envFile`. */

import type { DesiredServiceOf } from '../../model/desired.js';
import type { PluginRef } from './spec.js';
import type { ProviderModule } from '../../model/provider-module.js';
import { resolveServiceEnv } from '../../config/env-files.js';
import { resolvePath } from '../../config/paths.js';
import { COMMIT_ID, gitPluginDir, gitRefProblem, gitUrlProblem, type GitPluginSource } from '../../config/git-source.js';
import { prefixedFields } from '../../reconcile/spec.js';

declare module '../../model/desired.js' {
  interface ProviderSettings {
    plugin: PluginRef;
  }
}

type GitInput = { git: string; ref?: string; commit?: string };
type PluginInput = string | { path: string; source?: string; ref?: string } | GitInput;

const isGitInput = (plugin: unknown): plugin is GitInput => typeof plugin === 'object' && plugin !== null && 'git' in plugin;

export const pluginModule: ProviderModule<'plugin'> = {
  name: 'plugin',
  execInstead: (name) => `\`stack run ${name} <script>\` runs a script of the plugin with the service's environment`,
  key: 'plugin',
  runs: 'a plugin folder',
  ownKeys: ['env', 'envFile'],
  foreignKeyHints: { limits: "a plugin's scripts start what it runs, outside a process group of stack's: limit it there (systemd-run, ulimit), or run it as a command: service" },
  schema: ({ z, NonEmptyString }) => {
    /** A plugin fetched by `stack add` from git: where it lives, where it came from, the commit it is pinned to. */
    const PluginSourceSchema = z.strictObject({
      path: NonEmptyString('a plugin folder path'),
      source: NonEmptyString('a git URL').optional(),
      ref: NonEmptyString('a git commit').optional(),
    });
    /** A plugin stack fetches from git itself, pinned to a commit that `stack update` moves. */
    const PluginGitSchema = z.strictObject({
      git: NonEmptyString('a git URL'),
      ref: NonEmptyString('a branch or tag').optional(),
      commit: z.string({ error: 'expected a commit id (40 hex digits)' }).regex(COMMIT_ID, { error: 'expected a full commit id (40 lowercase hex digits); `stack update` writes it' }).optional(),
    });
    return {
      plugin: z.union([NonEmptyString('a plugin folder path'), PluginGitSchema, PluginSourceSchema], {
        error: 'expected a plugin folder path, { git, ref, commit } or { path, source, ref }',
      }),
    };
  },
  // A URL that would run a command (`ext::`) or carry a token, or a ref git would read as an option: refused before git runs.
  check(name, service, locate) {
    const plugin = service.plugin;
    if (!isGitInput(plugin)) return [];
    const issues = [];
    const problems: [string, string | undefined][] = [
      ['git', typeof plugin.git === 'string' && plugin.git !== '' ? gitUrlProblem(plugin.git) : undefined],
      ['ref', typeof plugin.ref === 'string' && plugin.ref !== '' ? gitRefProblem(plugin.ref) : undefined],
    ];
    for (const [key, problem] of problems) {
      if (problem === undefined) continue;
      const position = locate(['plugin', key]);
      issues.push({ message: `service "${name}": plugin.${key}: ${problem}`, path: `services.${name}.plugin.${key}`, ...(position ? { position } : {}) });
    }
    return issues;
  },
  processValues: { env: [['env']], envFiles: [['envFile']] },
  resolve({ name, input, root, envFileTexts, locate }) {
    const plugin = input.plugin as PluginInput;
    const env = resolveServiceEnv(name, input, root, envFileTexts, locate);
    const settings = { ...pluginSourceOf(plugin), dir: pluginDir(name, plugin, root), env: env.env, envFiles: env.envFiles };
    return { settings, sensitive: env.fromFiles, issues: env.issues };
  },
  sensitiveField: ([key]) => (key === 'plugin' ? 'plugin.dir' : undefined),
  // `source` and `ref` are left out: where a folder came from does not change what it runs. A git
  // plugin's commit is what runs: moving it reinstalls (its folder is another one too).
  specFields: (spec) => ({
    values: {
      'plugin.dir': spec.dir,
      ...(spec.git ? { 'plugin.git': spec.git.url, ...(spec.git.commit ? { 'plugin.commit': spec.git.commit } : {}) } : {}),
      ...(spec.envFiles && spec.envFiles.length > 0 ? { envFiles: JSON.stringify(spec.envFiles) } : {}),
      ...prefixedFields('env.', spec.env ?? {}),
    },
    install: ['plugin.dir', 'plugin.git', 'plugin.commit', 'plugin.files'],
    files: 'plugin.files',
  }),
  checkFiles: async (services, cwd) => {
    await (await import('../../load/read-plugin.js')).checkPluginFiles(services.filter((service): service is DesiredServiceOf<'plugin'> => service.provider === 'plugin'), cwd);
    return true;
  },
  create: async () => (await import('./plugin-provider.js')).createPluginProvider(),
};

/**
 * The folder a plugin runs from: as written, or for a git plugin its commit's checkout in
 * `.stack/plugins/` (an unpinned one gets a folder that never exists: the load says to pin it).
 */
function pluginDir(name: string, plugin: PluginInput, root: string): string {
  if (typeof plugin === 'string') return resolvePath(root, plugin);
  if (isGitInput(plugin)) return gitPluginDir(root, name, plugin.commit) ?? resolvePath(root, `.stack/plugins/${name}-unpinned`);
  return resolvePath(root, plugin.path);
}

function pluginSourceOf(plugin: PluginInput): { source?: string; ref?: string; git?: GitPluginSource } {
  if (typeof plugin === 'string') return {};
  if (isGitInput(plugin)) return { git: { url: plugin.git, ...(plugin.ref === undefined ? {} : { ref: plugin.ref }), ...(plugin.commit === undefined ? {} : { commit: plugin.commit }) } };
  return { ...(plugin.source === undefined ? {} : { source: plugin.source }), ...(plugin.ref === undefined ? {} : { ref: plugin.ref }) };
}
