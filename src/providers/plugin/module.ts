/** The plugin provider as stack.yaml and the planner see it: `plugin:`, `env`, `envFile`. */

import type { DesiredServiceOf } from '../../model/desired.js';
import type { PluginRef } from './spec.js';
import type { ProviderModule } from '../../model/provider-module.js';
import { resolveServiceEnv } from '../../config/env-files.js';
import { resolvePath } from '../../config/paths.js';
import { prefixedFields } from '../../reconcile/spec.js';

declare module '../../model/desired.js' {
  interface ProviderSettings {
    plugin: PluginRef;
  }
}

type PluginInput = string | { path: string; source?: string; ref?: string };

export const pluginModule: ProviderModule<'plugin'> = {
  name: 'plugin',
  execInstead: (name) => `\`stack run ${name} <script>\` runs a script of the plugin with the service's environment`,
  key: 'plugin',
  runs: 'a plugin folder',
  ownKeys: ['env', 'envFile'],
  schema: ({ z, NonEmptyString }) => {
    /** A plugin fetched by `stack add` from git: where it lives, where it came from, the commit it is pinned to. */
    const PluginSourceSchema = z.strictObject({
      path: NonEmptyString('a plugin folder path'),
      source: NonEmptyString('a git URL').optional(),
      ref: NonEmptyString('a git commit').optional(),
    });
    return { plugin: z.union([NonEmptyString('a plugin folder path'), PluginSourceSchema], { error: 'expected a plugin folder path or { path, source, ref }' }) };
  },
  processValues: { env: [['env']], envFiles: [['envFile']] },
  resolve({ name, input, root, envFileTexts, locate }) {
    const plugin = input.plugin as PluginInput;
    const env = resolveServiceEnv(name, input, root, envFileTexts, locate);
    const settings = { ...pluginSourceOf(plugin), dir: resolvePath(root, typeof plugin === 'string' ? plugin : plugin.path), env: env.env, envFiles: env.envFiles };
    return { settings, sensitive: env.fromFiles, issues: env.issues };
  },
  sensitiveField: ([key]) => (key === 'plugin' ? 'plugin.dir' : undefined),
  // `source` and `ref` are left out: where a folder came from does not change what it runs.
  specFields: (spec) => ({
    values: {
      'plugin.dir': spec.dir,
      ...(spec.envFiles && spec.envFiles.length > 0 ? { envFiles: JSON.stringify(spec.envFiles) } : {}),
      ...prefixedFields('env.', spec.env ?? {}),
    },
    install: ['plugin.dir', 'plugin.files'],
    files: 'plugin.files',
  }),
  checkFiles: async (services, cwd) =>
    (await import('../../load/read-plugin.js')).checkPluginFiles(services.filter((service): service is DesiredServiceOf<'plugin'> => service.provider === 'plugin'), cwd),
  create: async () => (await import('./plugin-provider.js')).createPluginProvider(),
};

function pluginSourceOf(plugin: PluginInput): { source?: string; ref?: string } {
  if (typeof plugin === 'string') return {};
  return { ...(plugin.source === undefined ? {} : { source: plugin.source }), ...(plugin.ref === undefined ? {} : { ref: plugin.ref }) };
}
