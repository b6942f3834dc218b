import type { ProviderName } from '../model/desired.js';
import type { Provider } from '../model/provider.js';

/** Hands out providers, creating each on first use. */
export interface ProviderRegistry {
  get(name: ProviderName): Promise<Provider>;
  /** The provider if `get` has already made it, else undefined: for decisions that cannot wait. */
  peek?(name: ProviderName): Provider | undefined;
}

// Each provider's module is loaded only when a service needs it.
const loaders: Record<ProviderName, () => Promise<Provider>> = {
  process: async () => (await import('./process/process-provider.js')).createProcessProvider(),
  compose: async () => (await import('./compose/compose-provider.js')).createComposeProvider(),
  plugin: async () => (await import('./plugin/plugin-provider.js')).createPluginProvider(),
};

export function createProviderRegistry(): ProviderRegistry {
  const made = new Map<ProviderName, Promise<Provider>>();
  const ready = new Map<ProviderName, Provider>();
  return {
    get(name) {
      let provider = made.get(name);
      if (!provider) {
        provider = loaders[name]().then((created) => {
          ready.set(name, created);
          return created;
        });
        made.set(name, provider);
      }
      return provider;
    },
    peek: (name) => ready.get(name),
  };
}
