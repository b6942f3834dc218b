import type { ProviderName } from '../model/desired.js';
import type { Provider } from '../model/provider.js';
import type { ProviderCatalog } from '../model/provider-module.js';
import { composeModule } from './compose/module.js';
import { execModule } from './exec/module.js';
import { swarmModule } from './swarm/module.js';
import { pluginModule } from './plugin/module.js';
import { processModule } from './process/module.js';

/**
 * Every provider stack knows: a new provider is its folder and one line here. The first is the
 * provider of a service that names none; messages list them in this order.
 */
export const PROVIDERS: ProviderCatalog = [processModule, composeModule, pluginModule, execModule, swarmModule];

/** Hands out providers, creating each on first use. */
export interface ProviderRegistry {
  get(name: ProviderName): Promise<Provider>;
  /** The provider if `get` has already made it, else undefined: for decisions that cannot wait. */
  peek?(name: ProviderName): Provider | undefined;
}

// Each provider's runtime is loaded only when a service needs it (its module's `create`).
export function createProviderRegistry(catalog: ProviderCatalog = PROVIDERS): ProviderRegistry {
  const made = new Map<ProviderName, Promise<Provider>>();
  const ready = new Map<ProviderName, Provider>();
  return {
    get(name) {
      let provider = made.get(name);
      if (!provider) {
        const module = catalog.find((candidate) => candidate.name === name);
        if (!module) return Promise.reject(new Error(`no provider named "${name}"`));
        provider = module.create().then((created) => {
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
