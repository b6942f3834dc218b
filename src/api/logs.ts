import type { Desired } from '../model/desired.js';
import type { LogsRequest } from '../model/provider.js';
import { createProviderRegistry } from '../providers/registry.js';
import { workspaceOf, type Workspace } from '../engine/workspace.js';
import { rotateRunningLogs as rotateLogs } from '../engine/rotate-logs.js';

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

/**
 * Rotates the logs of the services that should be running and grew past their `logs.maxSize`
 * (without a controller, each apply is when that happens); problems go to `report`, never
 * thrown. The caller holds the lock.
 */
export function rotateRunningLogs(workspace: Workspace, report: (line: string) => void): Promise<void> {
  const running = workspace.desired.services.filter((service) => service.enabled && service.state === 'running');
  return rotateLogs(workspace.providers, workspace.ctx, running, report);
}
