import type { Desired } from '../model/desired.js';
import type { LogsRequest } from '../model/provider.js';
import { createProviderRegistry } from '../providers/registry.js';
import { workspaceOf } from '../engine/workspace.js';

/**
 * The output of each service the stack declares now (`current()`: `stack up` follows stack.yaml
 * as it is edited; a hot-added service too), from its provider; undefined for a service it does
 * not declare. One set of providers serves every call.
 */
export function declaredLogs(current: () => Desired): (name: string, request: LogsRequest) => Promise<number | undefined> {
  const providers = createProviderRegistry();
  return async (name, request) => {
    const workspace = { ...workspaceOf(current()), providers };
    const service = workspace.desired.services.find((candidate) => candidate.name === name);
    if (!service) return undefined;
    const provider = await providers.get(service.provider);
    return provider.logs(name, service, undefined, request, workspace.ctx);
  };
}
