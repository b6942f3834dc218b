import type { ProviderName } from '../config/types.js';
import type { Provider } from './types.js';
import { ExitCode, StackError } from '../errors.js';

/** Hands out providers, creating each on first use. */
export interface ProviderRegistry {
  get(name: ProviderName): Promise<Provider>;
}

export function createProviderRegistry(): ProviderRegistry {
  const made = new Map<ProviderName, Promise<Provider>>();
  return {
    get(name) {
      let provider = made.get(name);
      if (!provider) {
        provider = load(name);
        made.set(name, provider);
      }
      return provider;
    },
  };
}

async function load(name: ProviderName): Promise<Provider> {
  switch (name) {
    case 'process': {
      const { createProcessProvider } = await import('./process/process-provider.js');
      return createProcessProvider();
    }
    default:
      throw new StackError(ExitCode.providerUnavailable, `the ${name} provider is not available in this version of stack`, {
        hint: 'set `enabled: false` on the service for now',
      });
  }
}
