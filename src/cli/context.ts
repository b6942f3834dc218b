import pc from 'picocolors';
import { describeOwner, openWorkspace, type LockOwner, type Workspace } from '../api.js';
import { ExitCode, StackError } from '../model/errors.js';
import type { Desired } from '../model/desired.js';
import { formatIssue } from '../config/issues.js';
import { expandReplicaNames } from '../config/replicas.js';
import type { Applied } from '../model/observed.js';

/** Options every command receives (commander's optsWithGlobals). */
export interface GlobalOptions {
  file?: string;
  verbose?: boolean;
  color?: boolean;
  json?: boolean;
}

export interface Streams {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

export const streams: Streams = { stdout: process.stdout, stderr: process.stderr };

export { useColor } from './color.js';

/** How `--verbose` prints an external command: dimmed, on stderr. */
export function verboseWriter(options: GlobalOptions): ((line: string) => void) | undefined {
  return options.verbose ? (line: string) => process.stderr.write(`${pc.dim(`$ ${line}`)}\n`) : undefined;
}

export async function open(options: GlobalOptions): Promise<Workspace> {
  const workspace = await openWorkspace({ file: options.file, verbose: verboseWriter(options) });
  warnAbout(workspace.desired);
  return workspace;
}

const warned = new WeakSet<Desired>();

/** The stack file's warnings (a `$NAME` that is not set), on stderr, once per load. */
export function warnAbout(desired: Desired): void {
  if (!desired.warnings || warned.has(desired)) return;
  warned.add(desired);
  for (const warning of desired.warnings) streams.stderr.write(`warning: ${formatIssue(warning)}\n`);
}

/** Exit 4 when a named service is neither in stack.yaml nor recorded. */
export function checkServiceNames(desired: Desired, applied: Applied, names: readonly string[]): void {
  refuseUnknown(desired.file, [...desired.services.map((service) => service.name), ...applied.keys()], names);
}

function refuseUnknown(file: string, services: readonly string[], names: readonly string[]): void {
  const known = new Set(services);
  const unknown = names.filter((name) => !known.has(name));
  if (unknown.length === 0) return;
  const list = [...known].join(', ') || '(none)';
  throw new StackError(ExitCode.serviceNotFound, `no service named ${unknown.map((name) => `"${name}"`).join(', ')} in ${file}`, {
    hint: `services: ${list}`,
  });
}

/**
 * checkServiceNames, where the name of a service with `replicas:` means each of its replicas
 * (`web` → web.0, web.1, and a web.2 still recorded); returns the names meant.
 */
export function serviceNamesOf(desired: Desired, applied: Applied, names: readonly string[]): string[] {
  const meant = expandReplicaNames([...desired.services.map((service) => service.name), ...applied.keys()], names);
  checkServiceNames(desired, applied, meant);
  return meant;
}

/** For verbs that edit stack.yaml: the names as written there (`web`, never one replica `web.1`). */
export function checkWrittenNames(desired: Desired, names: readonly string[]): void {
  for (const name of names) {
    const replica = desired.services.find((service) => service.name === name && service.replicaOf !== undefined);
    if (replica) {
      throw new StackError(ExitCode.serviceNotFound, `"${name}" is one replica of "${replica.replicaOf}", and stack.yaml declares only "${replica.replicaOf}"`, {
        hint: `name "${replica.replicaOf}" (it means every replica), or change its replicas:`,
      });
    }
  }
  refuseUnknown(desired.file, desired.services.map((service) => service.replicaOf ?? service.name), names);
}

/** `--wait-lock` says what it waits for, once per holder. */
export function waitingForLock(holder: LockOwner): void {
  streams.stderr.write(`waiting for the lock held by ${describeOwner(holder)}…\n`);
}

export function parseParallel(value: unknown): number {
  const parallel = Number(value ?? 4);
  if (!Number.isInteger(parallel) || parallel < 1) {
    throw new StackError(ExitCode.actionFailed, `--parallel takes a whole number of at least 1, got "${String(value)}"`);
  }
  return parallel;
}

/** `--json` or `--format text|json|markdown` (exit 1 for anything else, or both disagreeing). */
export function parseOutputFormat(options: GlobalOptions & { format?: string }): 'text' | 'json' | 'markdown' {
  if (options.json && options.format !== undefined && options.format !== 'json') {
    throw new StackError(ExitCode.actionFailed, '--json and --format cannot be used together');
  }
  if (options.json) return 'json';
  const format = options.format ?? 'text';
  if (format === 'text' || format === 'json' || format === 'markdown') return format;
  throw new StackError(ExitCode.actionFailed, `--format takes text, json or markdown, got "${format}"`);
}
