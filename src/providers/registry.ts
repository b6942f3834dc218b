import type { ProviderName } from '../config/types.js';
import type { Provider } from './types.js';

/** Hands out providers, creating each on first use. */
export interface ProviderRegistry {
  get(name: ProviderName): Promise<Provider>;
}

// Each provider's module is loaded only when a service needs it.
const loaders: Record<ProviderName, () => Promise<Provider>> = {
  process: async () => (await import('./process/process-provider.js')).createProcessProvider(),
  compose: async () => (await import('./compose/compose-provider.js')).createComposeProvider(),
  plugin: async () => (await import('./plugin/plugin-provider.js')).createPluginProvider(),
};

export function createProviderRegistry(): ProviderRegistry {
  const made = new Map<ProviderName, Promise<Provider>>();
  return {
    get(name) {
      let provider = made.get(name);
      if (!provider) {
        provider = loaders[name]();
        made.set(name, provider);
      }
      return provider;
    },
  };
}
