import { existsSync } from 'node:fs';
import { readFile, readlink, realpath } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import picomatch from 'picomatch';
import { MAX_STACK_FILE_BYTES } from '../../config/limits.js';
import { loadPluginText, PLUGIN_FILE } from '../../config/plugin-file.js';
import { readRegularFile } from '../../os/safe-file.js';
import { readStack } from '../../load/read-stack.js';
import type { Desired, DesiredService } from '../../model/desired.js';
import { ExitCode, StackError, type ConfigIssue } from '../../model/errors.js';
import type { Applied, Observed } from '../../model/observed.js';
import type { Plan } from '../../model/plan.js';
import { PROVIDERS } from '../../providers/registry.js';
import { planActions } from '../../reconcile/plan.js';
import { digestServiceFiles, loadStack, observe, readApplied, workspaceOf } from '../../api.js';

// `validate` loads and plans a text an agent wrote, which may be hostile (docs/mcp.md): it reads
// no file and no variable of the server's environment or of `.env` that stack.yaml itself does
// not (a path is judged where its symlinks lead), runs nothing the text says (an exec service's
// `status`, a plugin's, a git plugin's fetch) and writes nothing (auto ports are picked in
// memory): the services are observed as stack.yaml declares them, the text only planned against that.

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
  const known = await pathsStackYamlReads(file, env);
  const refuseOutside = async (paths: readonly string[]) => {
    const outside = await outsideOf(dirname(file), paths, known);
    if (outside.length > 0) throw readsOutsideError(file, outside);
  };
  const desired = await readStack(file, { providers: PROVIDERS, env: narrowed, dotEnvNames: allowed, text, checkPlugins: false, keepPorts: false, beforeReading: refuseOutside });
  await refuseOutside(await pathsOf(desired));
  // plugin.yaml read once it is known to be inside: the env files it names, judged in turn.
  await refuseOutside(await pluginEnvFiles(desired));
  const notFetched = await checkProviderFiles(desired);
  return { desired: notFetched.length === 0 ? desired : { ...desired, warnings: [...(desired.warnings ?? []), ...notFetched] }, unread };
}

/**
 * What applying `proposed` would do now: the services observed as stack.yaml declares them (a
 * service only the text declares, as stack.yaml last recorded it, or absent), never by a command
 * the text gives.
 */
export async function planProposal(file: string, proposed: Desired): Promise<Plan> {
  const workspace = workspaceOf(proposed);
  // A git plugin not fetched has no files to digest yet: planned as its fields say.
  await digestServiceFiles({ ...workspace, desired: { ...proposed, services: proposed.services.filter((service) => !unfetched(service)) } });
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

/** Every path stack.yaml as it is now has its services read (those validate may read too); none when it does not load. */
async function pathsStackYamlReads(file: string, env: Env): Promise<Set<string>> {
  const read: string[] = [];
  const desired = await readStack(file, { providers: PROVIDERS, env, checkPlugins: false, keepPorts: false, beforeReading: async (paths) => void read.push(...paths) }).catch(() => undefined);
  return new Set([...read, ...(desired ? [...(await pathsOf(desired)), ...(await pluginEnvFiles(desired))] : [])]);
}

/**
 * The files and folders a loaded stack's services read while it is checked and planned besides
 * its env files and working folders: each provider's own files (a compose file and the `.env`
 * beside it, a plugin folder), a plugin's plugin.yaml, a task's inputs' folders.
 */
async function pathsOf(desired: Desired): Promise<string[]> {
  const workspace = workspaceOf(desired);
  const each = await Promise.all(
    desired.services.map(async (service) => {
      const provider = await workspace.providers.get(service.provider).catch(() => undefined);
      const watched = provider?.watchedPaths(service) ?? { files: [], trees: [] };
      // As digestInputs walks them: from the stack folder, an absolute glob too.
      const inputs = (service.task?.inputs ?? []).map((glob) => join(desired.root, picomatch.scan(glob).base));
      return [...watched.files, ...watched.trees, ...(service.process ? [service.process.cwd] : []), ...(service.plugin ? [join(service.plugin.dir, PLUGIN_FILE)] : []), ...inputs];
    }),
  );
  return each.flat();
}

/** The env files the plugin services' plugin.yaml name. */
async function pluginEnvFiles(desired: Desired): Promise<string[]> {
  const each = await Promise.all(
    desired.services.map(async ({ plugin }) => {
      // As read-plugin.ts reads it: a regular file only (a FIFO would hang), at most stack.yaml's size.
      const read = plugin ? await readRegularFile(join(plugin.dir, PLUGIN_FILE), { maxBytes: MAX_STACK_FILE_BYTES }).catch(() => undefined) : undefined;
      return plugin && read?.ok ? loadPluginText(read.bytes.toString('utf8'), plugin.dir).envFilesWanted : [];
    }),
  );
  return each.flat();
}

/**
 * The providers' checks of the files their services name, as `stack validate` runs them, but a
 * git plugin is never fetched: one not checked out yet is a warning (its plugin.yaml unchecked).
 */
async function checkProviderFiles(desired: Desired): Promise<ConfigIssue[]> {
  for (const module of PROVIDERS) {
    const services = desired.services.filter((service) => service.provider === module.name && !unfetched(service));
    if (module.checkFiles && services.length > 0) await module.checkFiles(services, process.cwd());
  }
  return desired.services.filter(unfetched).map((service) => ({
    message: `service "${service.name}": its git plugin is not fetched yet, and validate does not fetch it: its plugin.yaml is not checked`,
    path: `services.${service.name}.plugin`,
    ...(service.position ? { position: service.position } : {}),
  }));
}

/** A git plugin stack would fetch now (`stack validate` does): validate does not. */
function unfetched(service: DesiredService): boolean {
  return service.plugin?.git?.commit !== undefined && service.enabled && !existsSync(service.plugin.dir);
}

/** Those of `paths` stack.yaml does not read (`known`) that lie outside `folder`, or lead outside it through a symlink. */
async function outsideOf(folder: string, paths: readonly string[], known: ReadonlySet<string>): Promise<string[]> {
  const real = await realOf(folder);
  const outside: string[] = [];
  for (const path of new Set(paths)) {
    if (!known.has(path) && (!inside(folder, path) || !inside(real, await realOf(path)))) outside.push(path);
  }
  // A plugin folder outside is said once, not with its plugin.yaml.
  return outside.filter((path) => !outside.some((other) => other !== path && inside(other, path)));
}

/** Where `path` leads: its symlinks resolved as far as it exists (a dangling link: where it points). */
async function realOf(path: string): Promise<string> {
  const rest: string[] = [];
  for (let head = path; ; ) {
    const real = await realpath(head).catch(() => undefined);
    if (real !== undefined) return join(real, ...rest);
    const link = await readlink(head).catch(() => undefined);
    if (link !== undefined) return join(resolve(dirname(head), link), ...rest);
    const parent = dirname(head);
    if (parent === head) return path;
    rest.unshift(basename(head));
    head = parent;
  }
}

function readsOutsideError(file: string, paths: readonly string[]): StackError {
  const folder = dirname(file);
  const issues = paths.map((path) => ({ path: '', message: `${path} is outside ${folder} and stack.yaml does not name it: validate does not read it`, hint: 'a file outside the stack folder is checked once stack.yaml names it (`stack validate`)' }));
  return new StackError(ExitCode.invalidConfig, 'the text names files outside the stack folder', { issues });
}

function inside(folder: string, path: string): boolean {
  return path === folder || path.startsWith(folder.endsWith(sep) ? folder : `${folder}${sep}`);
}
