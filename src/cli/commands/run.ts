import { cannotRun } from '../../model/provider.js';
import { checkServiceNames, open, type GlobalOptions } from '../context.js';

/** `stack run <service> <command> [args...]`: the command's exit code is stack's (plugins: a script beside plugin.yaml). */
export async function run(options: GlobalOptions, args: string[]): Promise<number> {
  const [name = '', ...command] = args;
  const workspace = await open(options);
  checkServiceNames(workspace.desired, new Map(), [name]);
  const service = workspace.desired.services.find((candidate) => candidate.name === name);
  if (!service) throw cannotRun(undefined, name);
  const provider = await workspace.providers.get(service.provider);
  return provider.run(service, command, workspace.ctx);
}
