import type { GitPluginSource } from '../../config/git-source.js';

// The plugin provider's settings of a desired service (`plugin:` resolved); module.ts adds them
// to the model's ProviderSettings.

export interface PluginRef {
  /** Absolute path of the plugin folder. */
  dir: string;
  /** Env declared for the service in stack.yaml (env files, then `env`); wins over plugin.yaml's. */
  env?: Record<string, string>;
  /** Absolute env file paths named by the service, in precedence order. */
  envFiles?: string[];
  /** The git URL `stack add` cloned it from, and the commit it is pinned to. */
  source?: string;
  ref?: string;
  /** `plugin: { git, ref, commit }`: stack fetches the commit into `dir` (.stack/plugins/) itself. */
  git?: GitPluginSource;
}
