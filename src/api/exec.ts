import { ExitCode, StackError } from '../model/errors.js';
import { OperationError, type ExecRequest } from '../model/provider.js';
import type { Workspace } from '../engine/workspace.js';
import { PROVIDERS } from '../providers/registry.js';

/**
 * `stack exec`: `request.command` in the service `name` of stack.yaml, through its provider, on
 * this terminal; resolves to the command's exit code. No lock and no controller: nothing is
 * recorded, and the service need not run (a compose service's container must). A disabled
 * service's environment is still its own: the command runs in it.
 */
export async function execInService(workspace: Workspace, name: string, request: ExecRequest): Promise<number> {
  const service = workspace.desired.services.find((candidate) => candidate.name === name);
  if (!service) throw new StackError(ExitCode.serviceNotFound, `${name} is no longer in ${workspace.desired.file}: stack exec needs its environment from there`);
  const provider = await workspace.providers.get(service.provider);
  if (!provider.exec) {
    const hint = PROVIDERS.find((module) => module.name === service.provider)?.execInstead?.(name);
    throw new StackError(ExitCode.actionFailed, `${name} is a ${service.provider} service: stack exec does not run commands in those`, hint ? { hint } : {});
  }
  try {
    return await provider.exec(service, request, workspace.ctx);
  } catch (error) {
    // A provider's failure (no compose settings, docker not answering) is said in one line.
    if (error instanceof OperationError) throw new StackError(ExitCode.actionFailed, error.message, { cause: error });
    throw error;
  }
}
