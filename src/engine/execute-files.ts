import type { DesiredService } from '../model/desired.js';
import type { OperationContext, Provider } from '../model/provider.js';

/**
 * The service as its files are after an install or start: what its own lifecycle commands wrote
 * into its folder (a plugin's pid file, its data, a generated `.env`) is part of what was
 * applied, not a change of the service, so the files are digested again and that is recorded.
 * Without this, a plugin that writes into its folder would plan a reinstall after every apply.
 * An edit made while the command ran is taken in too: the price of not restarting forever.
 */
export async function withFilesAfterRun(provider: Provider, service: DesiredService, ctx: OperationContext): Promise<DesiredService> {
  if (!provider.digestFiles || service.filesDigest === undefined) return service;
  const digested = await provider.digestFiles(service, ctx).catch(() => undefined);
  if (!digested || digested.digest === service.filesDigest) return service;
  return { ...service, filesDigest: digested.digest, files: digested.files };
}
