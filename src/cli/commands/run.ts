import type { PluginProvider } from '../../providers/plugin/plugin-provider.js';
import { ExitCode, StackError } from '../../model/errors.js';
import { checkServiceNames, open, type GlobalOptions } from '../context.js';

/** `stack run <service> <script> [args...]`: the script's exit code is stack's. */
export async function run(options: GlobalOptions, args: string[]): Promise<number> {
  const [name = '', script = '', ...rest] = args;
  const workspace = await open(options);
  checkServiceNames(workspace.desired, new Map(), [name]);
  const service = workspace.desired.services.find((candidate) => candidate.name === name);
  if (!service || service.provider !== 'plugin') {
    throw new StackError(ExitCode.actionFailed, `${name} is a ${service?.provider ?? 'unknown'} service; stack run runs the scripts of plugin services`);
  }
  const provider = (await workspace.providers.get('plugin')) as PluginProvider;
  return provider.runScript(service, script, rest, workspace.ctx);
}
