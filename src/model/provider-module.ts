/**
 * What a provider folder tells the layers below it (config reads stack.yaml with it, reconcile
 * compares the spec fields it flattened) and above (the engine makes the runtime). One
 * `providers/<name>/module.ts` exports one; `providers/registry.ts` lists them, and whoever loads
 * a stack passes that list in (docs/architecture.md, "Providers as modules").
 */

import type { z } from 'zod';
import type { ConfigIssue, SourcePosition } from './errors.js';
import type { DesiredService, ProviderName, ProviderSettings, ProviderSpecFields } from './desired.js';
import type { Provider } from './provider.js';

type KeyPath = readonly (string | number)[];

/**
 * The pieces of stack.yaml's schema a fragment builds on, so that its messages read like the
 * rest of the file's. zod comes with them: a module imports it as a type only, so a command
 * that needs no validation (the parse cache, config/read-stack.ts) never loads zod.
 */
export interface SchemaKit {
  z: typeof z;
  /** A value quoted as messages quote it. */
  quoted(value: unknown): string;
  NonEmptyString(what: string): z.ZodString;
  StringList(what: string): z.ZodArray<z.ZodString>;
  WholeNumber(min: number, max?: number): z.ZodType<number>;
  EnvSchema: z.ZodType<Record<string, string | number | boolean>>;
  /** A command: a string (split like a shell would, see config/command.ts) or a list of arguments. */
  ArgvSchema: z.ZodType<string | (string | number | boolean)[]>;
}

/** What a resolver is given: one valid service as written, and where it lives. */
export interface ResolveInput {
  name: string;
  /** The service's keys as written (already valid against the schema). */
  input: Readonly<Record<string, unknown>>;
  /** Folder holding stack.yaml: relative paths resolve against it. */
  root: string;
  project: string;
  /**
   * This copy of the stack's name for what is global on the machine (a compose project): `project:`
   * when stack.yaml writes one, else the folder's name and a short hash of its path (`app-3f2a9c`),
   * so two clones of one project never share one (docs/architecture.md, "Where state lives").
   */
  instance: string;
  /** Absolute env file path → its text; a path missing here is reported as not found. */
  envFileTexts: ReadonlyMap<string, string>;
  locate: (path: KeyPath) => SourcePosition | undefined;
}

export interface Resolution<P extends ProviderName> {
  settings: ProviderSettings[P];
  /** Keys whose values are secret besides those the service lists (env keys read from env files). */
  sensitive?: readonly string[];
  issues: ConfigIssue[];
}

/**
 * Where a provider's keys (paths under the service) hold what reaches a process, for the checks
 * that read stack.yaml's raw document before it resolves: a NUL character no process can receive
 * (config/process-values.ts), a secret env value written in the file (literal-secrets.ts,
 * load-cache.ts). Keys several providers read (`env`) may be listed by each.
 */
export interface ProcessValueKeys {
  /** Commands: a string, or a list of arguments (`command`). */
  commands?: readonly KeyPath[];
  /** Single strings, named in messages by their path (`cwd`, `compose.file`). */
  strings?: readonly KeyPath[];
  /** Env file paths: one, or a list (`envFile`). */
  envFiles?: readonly KeyPath[];
  /** Environment maps, name → value (`env`, `compose.env`). */
  env?: readonly KeyPath[];
}

export interface ProviderModule<P extends ProviderName = ProviderName> {
  readonly name: P;
  /** The key that selects this provider when `provider:` is not written (`command`, `compose`, …). */
  readonly key: string;
  /** What the key declares, for the hint of a service that has none: `key runs …` ("a process"). */
  readonly runs: string;
  /** Keys besides `key` that only some providers read (`cwd`): said to be misplaced elsewhere. */
  readonly ownKeys?: readonly string[];
  /** Hints for keys other providers own, when written on this provider's service (compose: `user`). */
  readonly foreignKeyHints?: Readonly<Record<string, string>>;
  /** Its services may be `kind: task` (run to completion): it sees each run's exit code. */
  readonly runsTasks?: true;
  /**
   * Its services may be `watch:`ed (issue 31): a change rebuilds and restarts them. `command`: by
   * the service's own `build:` command; `image`: from its definition (compose's `build`), so
   * `build:` is not written.
   */
  readonly rebuilds?: 'command' | 'image';
  /** When `stack exec` cannot run commands in its services: what to use instead, for service `name`. */
  execInstead?(name: string): string;
  /** The zod keys of the service map this provider owns, `key` among them. */
  schema(kit: SchemaKit): Record<string, z.ZodType>;
  /** Rules a shape cannot express (a command that does not split), reported beside the schema's issues. */
  check?(name: string, service: Readonly<Record<string, unknown>>, locate: ResolveInput['locate']): ConfigIssue[];
  /** Where its keys hold what reaches a process; absent: none that the raw checks look at. */
  readonly processValues?: ProcessValueKeys;
  /**
   * Working folders of its own (`exec.cwd`) that must exist before anything starts, from the
   * service as written (possibly invalid); reported beside a service's `cwd` (config/folders.ts).
   */
  folders?(service: Readonly<Record<string, unknown>>): { path: KeyPath; declared: string }[];
  /** The service's keys → its settings, paths absolute and defaults filled in. Pure. */
  resolve(input: ResolveInput): Resolution<P>;
  /** The spec field a sensitive variable at `path` (under the service) ends up in, when it is this provider's own. */
  sensitiveField?(path: KeyPath): string | undefined;
  /** The settings flattened into the fields the planner compares and the state file records. */
  specFields(settings: ProviderSettings[P]): ProviderSpecFields;
  /**
   * Reads the files its services name besides stack.yaml (a plugin's plugin.yaml), so that a
   * load fails before anything starts; rejects with `invalidConfig` listing every issue. Loads
   * what it reads with only when called. Resolves to whether it read anything: a controller then
   * reads stack.yaml again on every interval, not only when the files the loader read change.
   */
  checkFiles?(services: readonly DesiredService[], cwd: string): Promise<boolean>;
  /** Makes the runtime, loading its modules only now (a stack that does not use it never does). */
  create(): Promise<Provider>;
}

/** Every provider this stack knows, in the order messages list them. */
export type ProviderCatalog = readonly ProviderModule[];

/** The module of `name`, for code that was given a catalog. */
export function moduleOf(catalog: ProviderCatalog, name: string): ProviderModule | undefined {
  return catalog.find((module) => module.name === name);
}
