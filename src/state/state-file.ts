import { existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { constants } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { AppliedService } from '../model/observed.js';
import { escapeControls } from '../config/issues.js';
import { SIGNALS } from '../config/signals.js';
import { MAX_DURATION_MS } from '../config/units.js';
import { ExitCode, StackError } from '../model/errors.js';
import { monotonicMs } from '../os/monotonic.js';
import { ensureOwnDir, openOwnFile } from '../os/safe-file.js';
import { holdsLock, readStateText } from './state-text.js';
import { adoptMarkedRuns, type Adoption, type MarkedRun } from './adopt.js';
import { marksItsRuns } from './service-marker.js';
import { currentHold } from './holds.js';
import { stateNotice } from './notices.js';
import { unwritableError } from './unwritable.js';

export const STATE_FORMAT_VERSION = 1;

/** The content of `.stack/state.json`. Service order is the order they were first applied. */
export interface StateDocument {
  formatVersion: typeof STATE_FORMAT_VERSION;
  project: string;
  /** The name of the stack file (beside `.stack/`) whose services these are; absent in files of before. */
  file?: string;
  services: Record<string, AppliedService>;
}

/**
 * Two stack files in one folder share its `.stack/`: acting on one would stop and forget the
 * services of the other as "removed from stack.yaml". The state names the file it belongs to;
 * another file is refused while that one still exists and has services running that this one
 * does not declare. A file renamed (the old one is gone) simply takes over.
 */
export function checkStateOwner(doc: StateDocument, owner: { stackFile: string; folder: string; declared: ReadonlySet<string> }): void {
  if (doc.file === undefined || doc.file === owner.stackFile || !existsSync(join(owner.folder, doc.file))) return;
  // What that file's `down` stopped has nothing left to lose; a running service would be stopped.
  // A marked run is running while its record holds its pid; another provider's, until stopped.
  const theirs = Object.entries(doc.services)
    .filter(([name, record]) => !owner.declared.has(name) && (record.pid !== undefined || (!marksItsRuns(record) && record.stoppedByUs !== true)))
    .map(([name]) => name);
  if (theirs.length === 0) return;
  const listed = theirs.length > 5 ? `${theirs.slice(0, 5).join(', ')}, …` : theirs.join(', ');
  throw new StackError(ExitCode.invalidConfig, `.stack/ beside ${owner.stackFile} holds the services of ${doc.file} (${listed}); acting on ${owner.stackFile} would stop them as removed`, {
    hint: `keep each stack file in a folder of its own (its state lives in .stack/ beside it), or \`stack -f ${doc.file} down\` first`,
  });
}

export function emptyState(project: string): StateDocument {
  return { formatVersion: STATE_FORMAT_VERSION, project, services: {} };
}

export interface ReadStateOptions {
  /**
   * Whether this caller may write the state folder: move a corrupt file aside and record adopted
   * processes. Default: when this process holds `.stack/lock` (apply, down, watch), since only
   * the lock holder writes the state; read-only commands (plan, status) only report.
   */
  writable?: boolean;
  /**
   * Look for marked processes the file does not record (default true). A function decides from
   * the recorded services whether the look (a scan of /proc) is needed.
   */
  adopt?: boolean | ((services: Readonly<Record<string, AppliedService>>) => boolean);
  /**
   * Skip that scan when this process made it moments ago (SCAN_REUSE_MS), in the same hold of the
   * lock, and recorded what it adopted: see readStateToAct.
   */
  reuseScan?: boolean;
}

/**
 * Reads the state file; a missing file is an empty state. A corrupt one (truncated, emptied,
 * garbage) is not fatal: it is reported, set aside as `state.json.corrupt-<time>` by a writer,
 * and the state is rebuilt by observing: processes carrying this stack's marker are adopted, so
 * nothing is started twice. A file from a newer stack (formatVersion above ours) is refused.
 */
export async function readState(file: string, project: string, options: ReadStateOptions = {}): Promise<StateDocument> {
  return (await readStateScanned(file, project, options)).doc;
}

/** The state as readState reads it, with the marked runs its scan for lost runs left alone (none without a scan). */
export async function readStateScanned(file: string, project: string, options: ReadStateOptions = {}): Promise<{ doc: StateDocument; leftAlone: readonly MarkedRun[] }> {
  const writable = options.writable ?? (await holdsLock(lockFileOf(file)));
  const key = resolve(file);
  const earlier = scans.get(key);
  scans.delete(key);
  const text = await readStateText(file);
  let doc = emptyState(project);
  let changed = false;
  if (text !== undefined) {
    const parsed = typeof text === 'string' ? parseState(text) : text.problem;
    if (typeof parsed === 'string') {
      await setAside(file, parsed, writable);
      changed = true;
    } else {
      if (parsed.formatVersion !== STATE_FORMAT_VERSION) throw newerFormat(file, parsed.formatVersion);
      doc = parsed;
    }
  }
  const wanted = typeof options.adopt === 'function' ? options.adopt(doc.services) : options.adopt !== false;
  const hold = currentHold(lockFileOf(file));
  const reused = options.reuseScan === true && writable && earlier !== undefined && earlier.hold === hold && monotonicMs() - earlier.at <= SCAN_REUSE_MS;
  const scan = wanted && !reused ? await adoptLostRuns(doc, file) : undefined;
  if (scan && scan.adopted.length > 0) {
    changed = true;
    stateNotice(`${escapeControls(file)} did not record the running process of ${scan.adopted.join(', ')}; adopted ${scan.adopted.length === 1 ? 'it' : 'them'} (found by the marker stack gives every process it starts)`);
  }
  if (changed && writable) await writeState(file, doc);
  if (scan && writable && hold !== undefined && currentHold(lockFileOf(file)) === hold) scans.set(key, { hold, at: scan.at, leftAlone: scan.leftAlone });
  return { doc, leftAlone: scan?.leftAlone ?? (reused ? (earlier?.leftAlone ?? []) : []) };
}

/** Adopts the marked runs `doc` does not record; undefined when /proc could not be scanned (the next read tries again). */
async function adoptLostRuns(doc: StateDocument, file: string): Promise<(Adoption & { at: number }) | undefined> {
  const at = monotonicMs();
  try {
    return { at, ...(await adoptMarkedRuns(doc.services, dirname(file))) };
  } catch {
    return undefined;
  }
}

/*
 * apply and down read the state to plan, under the lock they then act under, and read it again
 * to act (a StateStore). The second scan of /proc for lost runs (~11 ms with 115 processes on
 * the 2-core machine) is skipped when the first was made within SCAN_REUSE_MS in the same hold
 * of the lock and what it adopted was written: no other stack process can have started a run
 * since, and nothing of this one has (only a StateStore acts). A run that leaves its group in
 * that moment (`setsid`) is missed by down's follow-up, as one that leaves just after a scan
 * always was; a longer wait (a question answered by a person) scans again.
 */
const SCAN_REUSE_MS = 1000;
const scans = new Map<string, { hold: symbol; at: number; leftAlone: readonly MarkedRun[] }>();

/** Reads the state to act on it: see `reuseScan`. */
export function readStateToAct(file: string, project: string): Promise<StateDocument> {
  return readState(file, project, { reuseScan: true });
}

/** The document, or why the text is not one. */
function parseState(text: string): StateDocument | string {
  if (text.trim() === '') return 'is empty';
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    // V8 quotes the text it choked on: raw bytes of a damaged file must not reach the terminal.
    return `is not valid JSON (${escapeControls((error as Error).message)})`;
  }
  if (typeof parsed === 'object' && parsed !== null && typeof (parsed as { formatVersion?: unknown }).formatVersion === 'number' && (parsed as StateDocument).formatVersion > STATE_FORMAT_VERSION) {
    return parsed as StateDocument;
  }
  if (!isStateDocument(parsed)) return `is not a stack state file (formatVersion ${STATE_FORMAT_VERSION} expected)`;
  return parsed;
}

function newerFormat(file: string, version: number): StackError {
  return new StackError(ExitCode.actionFailed, `${escapeControls(file)} was written by a newer stack (formatVersion ${version}; this one reads ${STATE_FORMAT_VERSION})`, {
    hint: 'upgrade stack; the file is left as it is',
  });
}

async function setAside(file: string, problem: string, writable: boolean): Promise<void> {
  if (!writable) {
    stateNotice(`${escapeControls(file)} ${problem}; reading it as empty and observing running services again (the next apply sets it aside)`);
    return;
  }
  const aside = `${file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  await rename(file, aside);
  stateNotice(`${escapeControls(file)} ${problem}; kept it as ${escapeControls(aside)} and observing running services again`);
}

const lockFileOf = (stateFile: string): string => join(dirname(stateFile), 'lock');

function isStateDocument(value: unknown): value is StateDocument {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const doc = value as Partial<StateDocument>;
  if (doc.formatVersion !== STATE_FORMAT_VERSION || typeof doc.services !== 'object' || doc.services === null || Array.isArray(doc.services)) return false;
  if (doc.file !== undefined && typeof doc.file !== 'string') return false;
  return Object.values(doc.services).every(isRecord);
}

// A record that later code would trip over (a pid that is not a number) makes the file corrupt.
function isRecord(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  const optionalNumber = (key: string) => record[key] === undefined || (typeof record[key] === 'number' && Number.isInteger(record[key]));
  return (
    typeof record.provider === 'string' &&
    typeof record.specHash === 'string' &&
    typeof record.installHash === 'string' &&
    typeof record.fields === 'object' && record.fields !== null &&
    (record.files === undefined || (typeof record.files === 'object' && record.files !== null)) &&
    typeof record.restarts === 'number' &&
    optionalNumber('pid') && optionalNumber('pgid') && optionalNumber('startTicks') &&
    (record.stop === undefined || isStopSpec(record.stop)) &&
    (record.stoppedWith === undefined || typeof record.stoppedWith === 'string') &&
    (record.probe === undefined || isProbeRecord(record.probe)) &&
    (record.taskRun === undefined || isTaskRun(record.taskRun)) &&
    (record.dependsOn === undefined || (Array.isArray(record.dependsOn) && record.dependsOn.every((name) => typeof name === 'string')))
  );
}

function isTaskRun(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const { ok, code, signal, at, specHash } = value as Record<string, unknown>;
  return typeof ok === 'boolean' && (code === null || typeof code === 'number') && (signal === null || typeof signal === 'string') && typeof at === 'string' && typeof specHash === 'string';
}

function isProbeRecord(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const { kind, ok, reason, at } = value as Record<string, unknown>;
  return (kind === 'ready' || kind === 'health') && typeof ok === 'boolean' && (reason === undefined || typeof reason === 'string') && typeof at === 'string';
}

function isStopSpec(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const { signal, timeoutMs, timeoutWritten } = value as Record<string, unknown>;
  return (SIGNALS as readonly unknown[]).includes(signal) && typeof timeoutMs === 'number' && Number.isInteger(timeoutMs) && timeoutMs >= 0 && timeoutMs <= MAX_DURATION_MS && (timeoutWritten === undefined || timeoutWritten === true);
}

let tempCounter = 0;

/**
 * Writes atomically: a temp file beside it, fsync, rename. A crash leaves the old or the new file,
 * never half. The temp file is created new (O_EXCL, never through a link) and removed when any
 * step fails (a full disk), so none piles up.
 */
export async function writeState(file: string, state: StateDocument): Promise<void> {
  await ensureStateDir(dirname(file));
  const temp = `${file}.${process.pid}.${(tempCounter += 1)}.tmp`;
  try {
    const handle = await openOwnFile(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL);
    try {
      await handle.writeFile(`${JSON.stringify(state, null, 2)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw unwritableError(error, `write ${file}`);
  }
}

/**
 * `.stack/` is private to its user (mode 0700): it holds logs and the state of every service.
 * A link is refused, never followed (see ensureOwnDir).
 */
export async function ensureStateDir(dir: string): Promise<void> {
  try {
    await ensureOwnDir(dir);
  } catch (error) {
    if (error instanceof StackError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR') {
      throw new StackError(ExitCode.actionFailed, `cannot use ${escapeControls(dir)} for stack's state: a file of that name is in the way`, { hint: 'move or delete it; stack keeps its state, logs and lock in that folder', cause: error });
    }
    if (code === 'ENOSPC' || code === 'EDQUOT') throw unwritableError(error, `create ${dir} for stack's state`);
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
      throw new StackError(ExitCode.actionFailed, `cannot create or use ${escapeControls(dir)} for stack's state (${code})`, { hint: 'stack needs to write there: check the permissions of the project folder', cause: error });
    }
    throw error;
  }
}
