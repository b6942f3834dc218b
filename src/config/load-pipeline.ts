/**
 * The loader as one readable pipeline: parse → interpolate → validate → check semantics, env
 * files and folders → resolve. Pure. The parser (yaml) and the validator (zod) are passed in, and asked for only
 * when needed: a load from the parse cache (load-cache.ts) uses neither, so load/read-stack.ts loads
 * them only then (their modules are a third of what `stack status` would otherwise compile and
 * initialise). load.ts gives the pipeline with both.
 */

import { parse as parseDotEnv } from 'dotenv';
import type { ConfigIssue } from '../model/errors.js';
import type { ProviderCatalog } from '../model/provider-module.js';
import { checkEnvFiles, dotEnvIssues, listEnvFiles } from './env-files.js';
import { checkFolders, listFolders } from './folders.js';
import type { FolderState } from './folders.js';
import { interpolateDocument, interpolateReplicas } from './interpolate-document.js';
import type { MissingVariable, UnsetVariable } from './interpolate-document.js';
import { sortIssues } from './issues.js';
import type { Locate } from './issues.js';
import type { ParsedStack } from './parsed.js';
import { parsedFromSnapshot } from './parse-snapshot.js';
import { cacheAfterLoad } from './load-cache.js';
import type { CacheUpdate, LoadCache } from './load-cache.js';
import { dirname, resolvePath } from './paths.js';
import { resolveStack } from './resolve.js';
import { createRedactor, CUT_MARK } from './sensitive.js';
import { literalSecrets } from './literal-secrets.js';
import { checkSemantics } from './semantic.js';
import type { StackFile } from './schema.js';
import type { Desired } from '../model/desired.js';
import { listPortRequests, portValues, unallocated } from './named-ports.js';
import type { PortAllocation, PortRequest } from './named-ports.js';

export interface LoadOptions {
  /** The providers whose keys stack.yaml may use (src/providers/registry.ts lists them). */
  providers: ProviderCatalog;
  /** The name positions carry (e.g. `stack.yaml` relative to the cwd); defaults to `file`. */
  displayFile?: string;
  /** The caller's environment, for `${VAR}` interpolation (load/read-stack.ts passes process.env). Default: none. */
  env?: Readonly<Record<string, string | undefined>>;
  /** The text of `.env` beside stack.yaml, when there is one: it feeds interpolation, under `env`. */
  dotEnvText?: string;
  /** The name positions in `.env` carry; defaults to `.env` beside `displayFile`. */
  dotEnvDisplay?: string;
  /** Only these of `.env`'s variables feed interpolation. Absent: all. */
  dotEnvNames?: ReadonlySet<string>;
  /**
   * `false` (for `stack check`): a missing `${VAR:?}` is listed in `missingVariables` only, and
   * interpolates as empty, so the rest of the stack can still be checked. Default: true.
   */
  requireVariables?: boolean;
  /**
   * What the reading step found at the folders of `Loaded.foldersWanted` (the services' `cwd`):
   * those missing are issues. Absent: folders are not judged (a stack read from git).
   */
  folders?: ReadonlyMap<string, FolderState>;
  /**
   * Present to use and update a cache (see load-cache.ts): `saved` is what an earlier load left,
   * and `Loaded.cache` what to do with it now. With `later`, `Loaded.cacheLater` makes that
   * answer when called instead (the snapshot of a new text's parse and its secret checks: a
   * controller does them after it has acted on the load). Absent: no cache.
   */
  cache?: { saved?: LoadCache; later?: boolean };
  /**
   * The port each `auto` named port has in this copy of the stack (load/named-ports.ts keeps them
   * in `.stack/ports.json`). When one of `Loaded.portsWanted` is missing, the load stops there.
   */
  ports?: PortAllocation;
  /**
   * A short mark of the stack folder's real path (load/folder-names.ts): names global on the
   * machine (compose projects) carry it when `project:` is not written. Absent: they do not.
   */
  folderId?: string;
}

export interface Loaded {
  /** Present exactly when `issues` is empty. */
  desired?: Desired;
  /** Every problem found, in reading order. */
  issues: ConfigIssue[];
  /** Absolute paths of the env files the text refers to; pass their texts in `envFileTexts`. */
  envFilesWanted: string[];
  /** Absolute paths of the services' working folders; say what is there in `options.folders`. */
  foldersWanted: string[];
  /** Required variables (`${VAR:?}`) that are not set. */
  missingVariables: MissingVariable[];
  /** The named ports declared (map form of `ports:`); give each auto one a port in `options.ports`. */
  portsWanted: PortRequest[];
  /** Set when auto ports had no port in `options.ports`: nothing past the parse was done. */
  needsPorts?: true;
  /** With `options.cache`, after a successful load: what to save, or to forget, for the next load. */
  cache?: CacheUpdate;
  /** `cache`, made when called: with `options.cache.later`. */
  cacheLater?: () => CacheUpdate | undefined;
}

export interface LoaderParts {
  parse?: (text: string, file: string) => ParsedStack;
  validate?: (document: unknown, locate: Locate, providers: ProviderCatalog) => { issues: ConfigIssue[] };
}

/**
 * loadStackText with the parts given; `{ needs }` names the part it needed and was not given
 * (call again with it). Never throws for any input text.
 */
export function loadStackWith(
  parts: LoaderParts,
  text: string,
  file: string,
  envFileTexts: ReadonlyMap<string, string>,
  options: LoadOptions,
): Loaded | { needs: keyof LoaderParts } {
  const hit = options.cache?.saved?.text === text ? options.cache.saved : undefined;
  if (!hit && !parts.parse) return { needs: 'parse' };
  const parsed = hit ? parsedFromSnapshot(hit.parse, options.displayFile ?? file) : (parts.parse as NonNullable<LoaderParts['parse']>)(text, options.displayFile ?? file);
  // `.env` is stack's input only where stack.yaml interpolates: otherwise it is another tool's file.
  const dotEnv = options.dotEnvText === undefined || !text.includes('${') ? [] : dotEnvIssues(options.dotEnvText, options.dotEnvDisplay ?? resolvePath(dirname(options.displayFile ?? file), '.env'));
  if (parsed.document === undefined || parsed.issues.length > 0) {
    return { issues: [...dotEnv, ...sortIssues(parsed.issues)], envFilesWanted: [], foldersWanted: [], missingVariables: [], portsWanted: [] };
  }
  const dotEnvValues = options.dotEnvText === undefined ? {} : onlyNamed(parseDotEnv(options.dotEnvText), options.dotEnvNames);
  const portsWanted = listPortRequests(parsed.document, (name) => options.env?.[name] ?? dotEnvValues[name]);
  if (unallocated(portsWanted, options.ports).length > 0) return { issues: [], envFilesWanted: [], foldersWanted: [], missingVariables: [], portsWanted, needsPorts: true };
  const variables = { env: options.env ?? {}, dotEnv: dotEnvValues, ports: portValues(portsWanted, options.ports) };
  const interpolated = interpolateDocument(parsed.document, variables, parsed.locateValue);
  const missingVariables = interpolated.missing;
  const interpolationIssues = options.requireVariables === false
    ? interpolated.issues.filter((issue) => !missingVariables.some((missing) => missing.message === issue.message && missing.path === issue.path))
    : interpolated.issues;
  const document = interpolated.document;
  // Messages quote values (a cwd path, a port); a value may hold a secret, interpolated or written.
  const finish = (issues: ConfigIssue[]) =>
    sortIssues(issues.length === 0 ? issues : redactIssues(issues, [...interpolated.uses.filter((use) => use.sensitive).map((use) => use.value), ...literalSecrets(document, options.providers)]));

  const root = dirname(file);
  const envFilesWanted = listEnvFiles(document, root);
  const foldersWanted = listFolders(document, root, options.providers);
  const documentJson = options.cache ? JSON.stringify(document) : undefined;
  const knownValid = documentJson !== undefined && hit?.valid.includes(documentJson) === true;
  if (!knownValid && !parts.validate) return { needs: 'validate' };
  const validationIssues = knownValid ? [] : (parts.validate as NonNullable<LoaderParts['validate']>)(document, parsed.locate, options.providers).issues;
  // Every issue at once: the files and folders it names are judged beside the text's own issues.
  // A key stack does not know is one issue, whatever its value holds (`environment: "${"`).
  const unknownKeys = validationIssues.filter((issue) => issue.message.startsWith('unknown key')).map((issue) => issue.path);
  const issues = [
    ...interpolationIssues.filter((issue) => !unknownKeys.some((path) => issue.path === path || issue.path.startsWith(`${path}.`) || issue.path.startsWith(`${path}[`))),
    ...validationIssues,
    // A document listed as valid passed these too: they read the document alone (stack.yaml's
    // names, dependencies, ports, commands), not the files and folders checked below.
    ...(knownValid ? [] : checkSemantics(document, parsed.locate, options.providers)),
    ...checkEnvFiles(document, root, envFileTexts, parsed.locate),
    ...(options.folders ? checkFolders(document, root, options.folders, parsed.locate, options.providers) : []),
  ];
  if (issues.length > 0 || dotEnv.length > 0) return { issues: [...dotEnv, ...finish(issues)], envFilesWanted, foldersWanted, missingVariables, portsWanted };

  // The schemas check shapes and transform nothing, so a valid document is the stack file as it is.
  const replicas = interpolateReplicas(parsed.document, variables, parsed.locateValue);
  const resolved = resolveStack(document as StackFile, { file, envFileTexts, locate: parsed.locate, uses: interpolated.uses, providers: options.providers, replicas, ports: variables.ports, ...(options.folderId === undefined ? {} : { folderId: options.folderId }) });
  if (!resolved.desired) return { issues: finish(resolved.issues), envFilesWanted, foldersWanted, missingVariables, portsWanted };
  const done = resolved.desired;
  const update = () => cacheAfterLoad({ text, hit, parsed, documentJson: documentJson as string, knownValid, desired: done, uses: interpolated.uses, providers: options.providers });
  const cache = documentJson === undefined || options.cache?.later ? undefined : update();
  const warnings = unsetWarnings(interpolated.unset);
  const desired = warnings.length === 0 ? resolved.desired : { ...resolved.desired, warnings };
  const later = documentJson !== undefined && options.cache?.later ? { cacheLater: update } : {};
  return { desired, issues: [], envFilesWanted, foldersWanted, missingVariables, portsWanted, ...(cache ? { cache } : {}), ...later };
}

/**
 * A bare `$NAME` or `${NAME}` whose variable is not set becomes an empty string, as in compose,
 * and as compose does, stack says so: often it was meant for the program (`sh -c "echo $i"`).
 * Once per variable, where it is first used.
 */
function unsetWarnings(unset: readonly UnsetVariable[]): ConfigIssue[] {
  const first = new Map<string, UnsetVariable>();
  for (const entry of unset) if (!first.has(entry.name)) first.set(entry.name, entry);
  return [...first.values()].map(({ name, path, position }) => ({
    message: `variable ${name} is not set, so it became an empty string`,
    path,
    ...(position ? { position } : {}),
    hint: `set it; or write $$${name} to leave $${name} to the program, or \${${name}:-} if empty is meant`,
  }));
}

function redactIssues(issues: ConfigIssue[], secrets: readonly string[]): ConfigIssue[] {
  const redact = createRedactor(secrets);
  return issues.map((issue) => ({
    ...issue,
    // A long value is quoted cut short (showValue): a secret's beginning may end there.
    message: redact(issue.message, { mark: CUT_MARK }),
    ...(issue.hint === undefined ? {} : { hint: redact(issue.hint, { mark: CUT_MARK }) }),
  }));
}

/** `values` with only the variables `names` lists (all when there is no list). */
function onlyNamed(values: Record<string, string>, names: ReadonlySet<string> | undefined): Record<string, string> {
  return names === undefined ? values : Object.fromEntries(Object.entries(values).filter(([name]) => names.has(name)));
}
