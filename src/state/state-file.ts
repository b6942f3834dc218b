import { mkdir, open, readFile, rename, chmod } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { AppliedService } from '../reconcile/types.js';
import { ExitCode, StackError } from '../errors.js';

export const STATE_FORMAT_VERSION = 1;

/** The content of `.stack/state.json`. Service order is the order they were first applied. */
export interface StateDocument {
  formatVersion: typeof STATE_FORMAT_VERSION;
  project: string;
  services: Record<string, AppliedService>;
}

export function emptyState(project: string): StateDocument {
  return { formatVersion: STATE_FORMAT_VERSION, project, services: {} };
}

/** Reads the state file; a missing file is an empty state. */
export async function readState(file: string, project: string): Promise<StateDocument> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyState(project);
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new StackError(ExitCode.actionFailed, `${file} is not valid JSON`, {
      cause,
      hint: 'move it aside and run `stack plan` again; stack observes running services afresh',
    });
  }
  if (!isStateDocument(parsed)) {
    throw new StackError(ExitCode.actionFailed, `${file} is not a stack state file (formatVersion ${STATE_FORMAT_VERSION} expected)`);
  }
  return parsed;
}

function isStateDocument(value: unknown): value is StateDocument {
  if (typeof value !== 'object' || value === null) return false;
  const doc = value as Partial<StateDocument>;
  return doc.formatVersion === STATE_FORMAT_VERSION && typeof doc.services === 'object' && doc.services !== null;
}

let tempCounter = 0;

/** Writes atomically: a temp file beside it, fsync, rename. A crash leaves the old or the new file, never half. */
export async function writeState(file: string, state: StateDocument): Promise<void> {
  await ensureStateDir(dirname(file));
  const temp = `${file}.${process.pid}.${(tempCounter += 1)}.tmp`;
  const handle = await open(temp, 'w', 0o600);
  try {
    await handle.writeFile(`${JSON.stringify(state, null, 2)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, file);
}

/** `.stack/` is private to its user (mode 0700): it holds logs and the state of every service. */
export async function ensureStateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
}
