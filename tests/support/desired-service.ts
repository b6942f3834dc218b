import type { DesiredService, ProviderName, ProviderSettings, ServiceBase } from '../../src/model/desired.js';
import { moduleOf } from '../../src/model/provider-module.js';
import { PROVIDERS } from '../../src/providers/registry.js';

/** A service written by hand: what the loader fills in (the provider's spec fields) may be left out. */
export type DraftService = Omit<ServiceBase, 'providerSpec'> & { provider: ProviderName; providerSpec?: unknown } & Partial<ProviderSettings>;

/** A hand-built service completed as the loader completes it: its provider's settings flattened into spec fields. */
export function desiredService(draft: DraftService): DesiredService {
  const module = moduleOf(PROVIDERS, draft.provider);
  if (!module) throw new Error(`no provider named ${draft.provider}`);
  const settings = (draft as Record<string, unknown>)[draft.provider] as never;
  return { ...draft, providerSpec: module.specFields(settings) } as DesiredService;
}
