import { access, constants, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ExitCode, StackError } from '../../model/errors.js';
import { PLUGIN_FILE } from '../../config/plugin-file.js';

/**
 * The argv that runs `script` from a plugin folder: `<dir>/<script>` or `<dir>/<script>.sh`,
 * run directly when executable, through sh otherwise. Exit 4 naming the scripts that exist.
 */
export async function scriptArgv(dir: string, plugin: string, script: string, args: readonly string[]): Promise<string[]> {
  const safe = script !== '' && !script.includes('/') && script !== '.' && script !== '..';
  for (const candidate of safe ? [script, `${script}.sh`] : []) {
    const file = join(dir, candidate);
    if (!(await isFile(file))) continue;
    return (await isExecutable(file)) ? [file, ...args] : ['sh', file, ...args];
  }
  const scripts = await listScripts(dir);
  throw new StackError(ExitCode.serviceNotFound, `plugin ${plugin} has no script "${script}"`, {
    hint: scripts.length > 0 ? `scripts in ${dir}: ${scripts.join(', ')}` : `${dir} holds no scripts (executable files or *.sh)`,
  });
}

/** Executable files and `*.sh` beside plugin.yaml, by the name `stack run` takes. */
export async function listScripts(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const names: string[] = [];
  for (const entry of entries) {
    if (!entry.isFile() || entry.name === PLUGIN_FILE || entry.name.startsWith('.')) continue;
    if (entry.name.endsWith('.sh')) names.push(entry.name.slice(0, -3));
    else if (await isExecutable(join(dir, entry.name))) names.push(entry.name);
  }
  return [...new Set(names)].sort();
}

async function isFile(file: string): Promise<boolean> {
  return stat(file).then((info) => info.isFile(), () => false);
}

async function isExecutable(file: string): Promise<boolean> {
  return access(file, constants.X_OK).then(() => true, () => false);
}
