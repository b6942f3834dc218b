import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fullScanCount } from '../../src/os/group-members.js';
import { acquireLock } from '../../src/state/lock.js';
import { readState, type StateDocument } from '../../src/state/state-file.js';
import { clearRecordedGiveUps } from '../../src/state/give-up.js';
import { StateStore } from '../../src/state/state-store.js';
import { record, tempDirs } from './helpers.js';

const dirs = tempDirs('state-store');
afterEach(() => dirs.cleanup());

async function storeFile(): Promise<string> {
  return path.join(await dirs.make(), '.stack', 'state.json');
}

async function onDisk(file: string): Promise<StateDocument> {
  return JSON.parse(await readFile(file, 'utf8')) as StateDocument;
}

describe('StateStore', () => {
  it('opens a missing file as an empty state and writes nothing until asked', async () => {
    const file = await storeFile();
    const store = await StateStore.open(file, 'demo');
    expect([...store.all().keys()]).toEqual([]);
    await expect(readFile(file)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('every one of many concurrent set/update calls lands on disk after flush', async () => {
    const file = await storeFile();
    const store = await StateStore.open(file, 'demo');
    const names = Array.from({ length: 60 }, (_, index) => `svc${index}`);
    const writes = names.flatMap((name, index) => [
      store.set(name, record(name)),
      store.update(name, (current) => current && { ...current, pid: 1000 + index }),
    ]);
    await Promise.all(writes);
    await store.flush();
    const doc = await onDisk(file);
    expect(doc.project).toBe('demo');
    expect(Object.keys(doc.services)).toEqual(names);
    names.forEach((name, index) => expect(doc.services[name]).toEqual(record(name, { pid: 1000 + index })));
    expect(await readdir(path.dirname(file))).toEqual(['state.json']);
  });

  it('coalesced writes of one key still end with the final value', async () => {
    const file = await storeFile();
    const store = await StateStore.open(file, 'demo');
    const writes: Promise<void>[] = [];
    for (let count = 1; count <= 100; count += 1) {
      writes.push(store.update('web', (current) => ({ ...(current ?? record('web')), restarts: count })));
    }
    // Not awaiting the writes: flush alone must cover them.
    await store.flush();
    expect((await onDisk(file)).services.web?.restarts).toBe(100);
    await Promise.all(writes);
    expect((await onDisk(file)).services.web?.restarts).toBe(100);
  });

  it('the promise of each call resolves only once that change is on disk', async () => {
    const file = await storeFile();
    const store = await StateStore.open(file, 'demo');
    void store.set('a', record('a'));
    await store.set('b', record('b', { pid: 7 }));
    expect((await onDisk(file)).services.b?.pid).toBe(7);
  });

  it('update receives the current record', async () => {
    const file = await storeFile();
    const store = await StateStore.open(file, 'demo');
    await store.set('web', record('web', { pid: 1 }));
    const seen: unknown[] = [];
    await store.update('web', (current) => {
      seen.push(current);
      return current && { ...current, pid: 2 };
    });
    await store.update('nothing', (current) => {
      seen.push(current);
      return current;
    });
    expect(seen).toEqual([record('web', { pid: 1 }), undefined]);
    expect(store.get('web')?.pid).toBe(2);
    expect(store.get('nothing')).toBeUndefined();
  });

  it('update returning undefined deletes the record, in memory and on disk', async () => {
    const file = await storeFile();
    const store = await StateStore.open(file, 'demo');
    await Promise.all([store.set('web', record('web')), store.set('db', record('db'))]);
    await store.update('web', () => undefined);
    expect(store.get('web')).toBeUndefined();
    expect([...store.all().keys()]).toEqual(['db']);
    await store.flush();
    expect(Object.keys((await onDisk(file)).services)).toEqual(['db']);
  });

  it('a store opened again reads what the first one flushed, in first-recorded order', async () => {
    const file = await storeFile();
    const first = await StateStore.open(file, 'demo');
    await first.set('zeta', record('zeta'));
    await first.set('alpha', record('alpha'));
    await first.set('zeta', record('zeta', { pid: 9 }));
    await first.flush();
    const second = await StateStore.open(file, 'demo');
    expect([...second.all().keys()]).toEqual(['zeta', 'alpha']);
    expect(second.get('zeta')?.pid).toBe(9);
    expect(await readState(file, 'demo')).toEqual(await onDisk(file));
  });
});

describe('StateStore.open under the lock', () => {
  // apply and down read the state to plan, under the lock they then act under: the store they
  // open reads the file again, but the scan of /proc for lost runs was just made.
  it('skips the scan for lost runs once after a read in the same hold of the lock, and only then', async () => {
    const file = await storeFile();
    const lockFile = path.join(path.dirname(file), 'lock');
    const scansOf = async (read: () => Promise<unknown>): Promise<number> => {
      const before = fullScanCount();
      await read();
      return fullScanCount() - before;
    };

    expect(await scansOf(() => readState(file, 'demo'))).toBe(1);
    expect(await scansOf(() => StateStore.open(file, 'demo'))).toBe(1); // no lock: no hold

    const lock = await acquireLock(lockFile, { command: 'test' });
    expect(await scansOf(() => readState(file, 'demo'))).toBe(1);
    expect(await scansOf(() => StateStore.open(file, 'demo'))).toBe(0);
    expect(await scansOf(() => StateStore.open(file, 'demo'))).toBe(1); // a store may have started runs since
    expect(await scansOf(() => readState(file, 'demo'))).toBe(1);
    await lock.release();

    const again = await acquireLock(lockFile, { command: 'test' });
    expect(await scansOf(() => StateStore.open(file, 'demo'))).toBe(1); // the read was in the last hold

    // A scan made a while ago (a question answered by a person) is made again.
    expect(await scansOf(() => readState(file, 'demo'))).toBe(1);
    const later = process.hrtime.bigint() + 5_000_000_000n;
    vi.spyOn(process.hrtime, 'bigint').mockReturnValue(later);
    try {
      expect(await scansOf(() => StateStore.open(file, 'demo'))).toBe(1);
    } finally {
      vi.restoreAllMocks();
    }

    // So is one whose lock file no longer names this process.
    expect(await scansOf(() => readState(file, 'demo'))).toBe(1);
    await writeFile(lockFile, `${JSON.stringify({ pid: 1, command: 'someone else', since: new Date().toISOString() })}\n`);
    expect(await scansOf(() => StateStore.open(file, 'demo'))).toBe(1);
    await again.release();
  });
});

describe('clearRecordedGiveUps', () => {
  it('clears the give-ups of many services in one write, and writes nothing when none gave up', async () => {
    const file = await storeFile();
    const seeded = await StateStore.open(file, 'demo');
    const names = Array.from({ length: 300 }, (_, index) => `svc${index}`);
    // Every third gave up; the others are running records with nothing to clear.
    for (const [index, name] of names.entries()) seeded.record(name, () => record(name, index % 3 === 0 ? { gaveUp: true, gaveUpAfter: 5, gaveUpDeclared: { restart: 'x' } } : { pid: 100 + index }));
    await seeded.flush();

    const store = await StateStore.open(file, 'demo');
    await clearRecordedGiveUps(store, names);
    // One awaited write per service was 300 writes (each the whole file, with an fsync).
    expect(store.writeCount).toBe(1);
    const doc = await onDisk(file);
    for (const [index, name] of names.entries()) {
      expect(doc.services[name]?.gaveUp ?? false).toBe(false);
      expect(doc.services[name]?.gaveUpAfter).toBeUndefined();
      if (index % 3 !== 0) expect(doc.services[name]?.pid).toBe(100 + index);
    }

    const again = await StateStore.open(file, 'demo');
    await clearRecordedGiveUps(again, [...names, 'not-recorded']);
    expect(again.writeCount).toBe(0);
  });
});
