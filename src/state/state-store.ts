import type { DesiredService } from '../model/desired.js';
import { declarationsOf, withStaleDeclarations, withUnkeyedDigests } from '../reconcile/declarations.js';
import { specOf } from '../reconcile/spec.js';
import type { AppliedService } from '../model/observed.js';
import { readStateToAct, writeState, type StateDocument } from './state-file.js';
import { isUnwritable } from './unwritable.js';

/**
 * The state file held in memory while stack acts. Every change is written through, but
 * writes are serialised and coalesced: a burst of 50 starts costs a few writes, not 50.
 */
const RECORD_DELAY_MS = 50;
/**
 * A large state (1,000 services: 600 KB, ~15 ms to serialise, write and sync) waits longer: at
 * least this many times its last write, so writing takes at most a fifth of a long run of stops
 * or starts. Up to RECORD_DELAY_MAX_MS.
 */
const RECORD_DELAY_FACTOR = 4;
const RECORD_DELAY_MAX_MS = 1000;

export class StateStore {
  private writing: Promise<void> = Promise.resolve();
  private dirty = false;
  private recordTimer: NodeJS.Timeout | undefined;
  private recordDelayMs = RECORD_DELAY_MS;
  private lost: Error | undefined;
  private writes = 0;
  private readonly watchers = new Set<(name: string) => void>();

  private constructor(
    private readonly file: string,
    private doc: StateDocument,
  ) {}

  /** `stackFile`, the name of the stack file beside `.stack/` (see checkStateOwner), is recorded. */
  static async open(file: string, project: string, stackFile?: string): Promise<StateStore> {
    const doc = await readStateToAct(file, project);
    if (stackFile !== undefined) doc.file = stackFile;
    // The project as the file names it now (a rename included), with the next write.
    doc.project = project;
    return new StateStore(file, doc);
  }

  get(name: string): AppliedService | undefined {
    return this.doc.services[name];
  }

  /** Applied services in the order they were first recorded. */
  all(): ReadonlyMap<string, AppliedService> {
    return new Map(Object.entries(this.doc.services));
  }

  /** Tells `listener` the name of every record that changes, as it changes (a controller's live status); the function returned stops it. */
  watch(listener: (name: string) => void): () => void {
    this.watchers.add(listener);
    return () => void this.watchers.delete(listener);
  }

  set(name: string, applied: AppliedService): Promise<void> {
    this.doc.services[name] = applied;
    this.changed(name);
    return this.schedule();
  }

  update(name: string, change: (current: AppliedService | undefined) => AppliedService | undefined): Promise<void> {
    const next = change(this.doc.services[name]);
    if (next) this.doc.services[name] = next;
    else delete this.doc.services[name];
    this.changed(name);
    return this.schedule();
  }

  /**
   * Like update, without waiting for the disk: the change is written within RECORD_DELAY_MS (more for a large state),
   * together with whatever else was recorded meanwhile (a burst of 50 starts is a few writes,
   * not 50 fsyncs competing with the starts for the I/O threads); a failure surfaces at the
   * next flush. For the executor's hot path: a process it started carries its marker
   * (STACK_SERVICE_ID), so a crash before the write lands still finds it (state/adopt.ts).
   */
  record(name: string, change: (current: AppliedService | undefined) => AppliedService | undefined): void {
    const next = change(this.doc.services[name]);
    if (next) this.doc.services[name] = next;
    else delete this.doc.services[name];
    this.changed(name);
    this.dirty = true;
    this.recordTimer ??= setTimeout(() => {
      this.recordTimer = undefined;
      this.schedule().catch(() => undefined);
    }, this.recordDelayMs);
  }

  /**
   * Brings records up to how stack.yaml now says to stop each service and what it depends on
   * (within RECORD_DELAY_MS, as `record`): an edit of either moves no service, so no operation
   * would record it. True when a record changed.
   */
  recordDeclarations(services: readonly DesiredService[]): boolean {
    const stale = withStaleDeclarations(services, this);
    for (const service of stale) this.record(service.name, (current) => current && { ...current, ...declarationsOf(service) });
    // A record an older stack wrote with unkeyed digests is accepted, then rewritten keyed.
    const unkeyed = withUnkeyedDigests(services, this);
    for (const service of unkeyed) {
      const { specHash, installHash, fields } = specOf(service);
      this.record(service.name, (current) => current && { ...current, specHash, installHash, fields });
    }
    return stale.length + unkeyed.length > 0;
  }

  /** Resolves once everything set so far is on disk. */
  flush(): Promise<void> {
    clearTimeout(this.recordTimer);
    this.recordTimer = undefined;
    return this.schedule();
  }

  /** How many times the file was written (tests check that a change to many records is one write). */
  get writeCount(): number {
    return this.writes;
  }

  /** Why the last write could not be made (a full disk, a read-only folder); undefined once one succeeded. */
  unrecorded(): Error | undefined {
    return this.lost;
  }

  private changed(name: string): void {
    for (const listener of this.watchers) listener(name);
  }

  private schedule(): Promise<void> {
    this.dirty = true;
    // Chained after the previous write whatever its result: one failed write (a full disk)
    // must not block every later one.
    const write = this.writing.catch(() => undefined).then(async () => {
      if (!this.dirty) return;
      this.dirty = false;
      try {
        const began = performance.now();
        this.writes += 1;
        await writeState(this.file, this.doc);
        this.recordDelayMs = Math.min(RECORD_DELAY_MAX_MS, Math.max(RECORD_DELAY_MS, RECORD_DELAY_FACTOR * (performance.now() - began)));
        this.lost = undefined;
      } catch (error) {
        // A full disk or a read-only .stack must not stop the run half-way (a down that stops
        // nothing more, a start not waited for): kept in memory, said by the caller at the end.
        if (!isUnwritable(error)) throw error;
        this.lost = error as Error;
      }
    });
    this.writing = write;
    return write;
  }
}
