import { readFile } from 'node:fs/promises';
import { dirname, sep } from 'node:path';
import { loadStackWith, type LoaderParts } from '../../config/load-pipeline.js';
import { readStack } from '../../load/read-stack.js';
import type { Desired } from '../../model/desired.js';
import { ExitCode, StackError } from '../../model/errors.js';
import type { Applied, Observed } from '../../model/observed.js';
import type { Plan } from '../../model/plan.js';
import { PROVIDERS } from '../../providers/registry.js';
import { planActions } from '../../reconcile/plan.js';
import { digestServiceFiles, loadStack, observe, readApplied, workspaceOf } from '../../api.js';

// `validate` loads and plans a text an agent wrote, which may be hostile (docs/mcp.md): it reads
// no file and no variable of the server's environment that stack.yaml itself does not, and runs
// nothing the text says (an exec service's `status`, a plugin's): the services are observed as
// stack.yaml declares them, the text only planned against that.

type Env = Readonly<Record<string, string | undefined>>;

/** A proposed text, loaded as if it were stack.yaml, and what it left out of the server's environment. */
export interface Proposal {
  desired: Desired;
  /** Variables the text names that stack.yaml does not: read as unset. */
  unread: string[];
}

/** `text` loaded as stack.yaml `file` would be; a StackError (exit 5, its issues) when it is not valid or reads outside. */
export async function loadProposal(file: string, text: string, env: Env = process.env): Promise<Proposal> {
  const current = await currentText(file);
  const allowed = new Set(variablesOf(current));
  const unread = unreadIn(current, text);
  const narrowed = Object.fromEntries([...allowed].map((name) => [name, env[name]]));
  const outside = await readsOutside(file, text, current, narrowed, env);
  if (outside.length > 0) throw readsOutsideError(file, outside);
  const desired = await readStack(file, { providers: PROVIDERS, env: narrowed, text, checkPlugins: false });
  const folders = outsideFolders(file, desired, await loadStack({ file }).catch(() => undefined));
  if (folders.length > 0) throw readsOutsideError(file, folders);
  return { desired: await readStack(file, { providers: PROVIDERS, env: narrowed, text }), unread };
}

/**
 * What applying `proposed` would do now: the services observed as stack.yaml declares them (a
 * service only the text declares, as stack.yaml last recorded it, or absent), never by a command
 * the text gives.
 */
export async function planProposal(file: string, proposed: Desired): Promise<Plan> {
  const workspace = workspaceOf(proposed);
  await digestServiceFiles(workspace);
  const applied = await readApplied(workspace);
  const current = await loadStack({ file }).catch(() => undefined);
  const declared = new Map((current?.services ?? []).map((service) => [service.name, service]));
  // A name stack.yaml does not declare but state.json records is observed by its record alone.
  const services = proposed.services.flatMap((service) => declared.get(service.name) ?? (applied.has(service.name) ? [] : [service]));
  const observed: Observed = await observe({ ...workspace, desired: { ...proposed, services } }, applied);
  return planActions(proposed, observed, applied as Applied);
}

/** The variables `text` names that stack.yaml (`current`) does not: every such name, set or not (which are set is the environment's to keep too). */
export function unreadIn(current: string, text: string): string[] {
  const allowed = new Set(variablesOf(current));
  return variablesOf(text).filter((name) => !allowed.has(name));
}

/** stack.yaml's text now, or none. */
export async function currentText(file: string): Promise<string> {
  return readFile(file, 'utf8').catch(() => '');
}

/** The variables a stack.yaml text interpolates (`$NAME`, `${NAME…}`), `$$` being a literal `$`. */
export function variablesOf(text: string): string[] {
  const names = new Set<string>();
  for (const match of text.replaceAll('$$', '').matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)) names.add(match[1] as string);
  return [...names];
}

/** The env files and working folders `text` would read that lie outside the stack folder and that stack.yaml does not read. */
async function readsOutside(file: string, text: string, current: string, env: Env, fullEnv: Env): Promise<string[]> {
  const parts: LoaderParts = { parse: (await import('../../config/parse.js')).parseStackText, validate: (await import('../../config/validate.js')).validateStack };
  const wanted = (source: string, variables: Env) => {
    const loaded = loadStackWith(parts, source, file, new Map(), { providers: PROVIDERS, env: variables });
    return 'needs' in loaded ? [] : [...loaded.envFilesWanted, ...loaded.foldersWanted];
  };
  const known = new Set(wanted(current, fullEnv));
  return wanted(text, env).filter((path) => !inside(dirname(file), path) && !known.has(path));
}

/** The plugin folders and compose files `desired` names outside the stack folder that `current` does not. */
function outsideFolders(file: string, desired: Desired, current: Desired | undefined): string[] {
  const named = (stack: Desired) => stack.services.flatMap((service) => [service.plugin?.dir, service.compose?.file].filter((path): path is string => path !== undefined));
  const known = new Set(current ? named(current) : []);
  return named(desired).filter((path) => !inside(dirname(file), path) && !known.has(path));
}

function readsOutsideError(file: string, paths: readonly string[]): StackError {
  const folder = dirname(file);
  const issues = paths.map((path) => ({ path: '', message: `${path} is outside ${folder} and stack.yaml does not name it: validate does not read it`, hint: 'a file outside the stack folder is checked once stack.yaml names it (`stack validate`)' }));
  return new StackError(ExitCode.invalidConfig, 'the text names files outside the stack folder', { issues });
}

function inside(folder: string, path: string): boolean {
  return path === folder || path.startsWith(folder.endsWith(sep) ? folder : `${folder}${sep}`);
}
