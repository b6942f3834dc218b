// The controller's event journal (engine/supervise/event-journal.ts) on real files: what it keeps,
// what it reads back, its rotation, and what it does with a cut line, a link or a full disk.
import { mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EventJournal, JOURNAL_MAX_BYTES, KEPT_EVENTS, readJournal } from '../../../src/engine/supervise/event-journal.js';
import type { ControllerEvent } from '../../../src/engine/supervise/events.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function journalFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'stack-journal-'));
  dirs.push(dir);
  return join(dir, 'events.log');
}

const exited = (service: string): ControllerEvent => ({ type: 'exited', service, code: 1, signal: null });
const at = (second: number) => new Date(Date.UTC(2026, 11, 5, 8, 0, second)).toISOString();

describe('the event journal', () => {
  it('writes each event as an NDJSON line with its time, reads them back in order, and answers since and services', async () => {
    const file = journalFile();
    const journal = await EventJournal.open(file, () => undefined);
    journal.record(exited('web'), at(1));
    journal.record({ type: 'plan', reason: 'interval', actions: [], blocked: [] }, at(2));
    journal.record({ type: 'restarting', service: 'db', attempt: 1, maxRestarts: 5 }, at(3));
    await journal.close();

    expect(readFileSync(file, 'utf8').split('\n')[0]).toBe(JSON.stringify({ at: at(1), type: 'exited', service: 'web', code: 1, signal: null }));
    expect((await readJournal(file)).map((event) => event.type)).toEqual(['exited', 'plan', 'restarting']);
    expect((await readJournal(file, { since: at(2) })).map((event) => event.type)).toEqual(['plan', 'restarting']);
    expect((await readJournal(file, { services: ['db'] })).map((event) => event.type)).toEqual(['restarting']);
    expect((await readJournal(file, { services: [] })).length).toBe(3);
    expect(journal.query({ since: at(3) })).toEqual([{ at: at(3), type: 'restarting', service: 'db', attempt: 1, maxRestarts: 5 }]);

    // A new controller begins with what the last one kept.
    const next = await EventJournal.open(file, () => undefined);
    expect(next.query({ services: ['web'] })).toEqual([{ at: at(1), ...exited('web') }]);
  });

  it('a line cut by a crash, or not an event, is skipped; a missing journal is empty', async () => {
    const file = journalFile();
    expect(await readJournal(file)).toEqual([]);
    writeFileSync(file, `${JSON.stringify({ at: at(1), ...exited('web') })}\nnot json\n{"at":1}\n{"at":"${at(2)}","type":"exi`);
    expect((await readJournal(file)).map((event) => event.at)).toEqual([at(1)]);
    // The next controller ends the cut line before its own: its events read back.
    const journal = await EventJournal.open(file, () => undefined);
    journal.record(exited('db'), at(3));
    await journal.close();
    expect((await readJournal(file)).map((event) => event.at)).toEqual([at(1), at(3)]);
  });

  it('past its size the file moves to events.log.1 (the older part, read first); memory keeps the newest', async () => {
    const file = journalFile();
    const journal = await EventJournal.open(file, () => undefined);
    const reason = 'x'.repeat(400);
    const count = Math.ceil((JOURNAL_MAX_BYTES * 1.5) / 450);
    for (let i = 0; i < count; i += 1) {
      journal.record({ type: 'plan', reason: `${i} ${reason}`, actions: [], blocked: [] }, at(0));
      if (i % 500 === 0) await journal.flush();
    }
    await journal.close();
    expect(statSync(`${file}.1`).size).toBeLessThanOrEqual(JOURNAL_MAX_BYTES);
    expect(statSync(file).size).toBeLessThanOrEqual(JOURNAL_MAX_BYTES);
    const read = await readJournal(file);
    const numbers = read.map((event) => Number((event as { reason: string }).reason.split(' ')[0]));
    expect(numbers.at(-1)).toBe(count - 1);
    expect(numbers).toEqual(numbers.map((_, index) => numbers[0]! + index));
    expect(journal.query().length).toBe(Math.min(count, KEPT_EVENTS));
  });

  it('refuses a journal that is a symbolic link (it would write where the link points)', async () => {
    const file = journalFile();
    const elsewhere = `${file}.elsewhere`;
    writeFileSync(elsewhere, '');
    symlinkSync(elsewhere, file);
    await expect(EventJournal.open(file, () => undefined)).rejects.toThrow(/refusing to use .*events\.log: it is a symbolic link/);
  });

  it('a journal it cannot write is said once; the events stay in memory', async () => {
    // Its folder is gone (as a full disk or a removed .stack/ would fail the write).
    const file = join(journalFile(), 'gone', 'events.log');
    const said: string[] = [];
    const journal = await EventJournal.open(file, (line) => said.push(line));
    journal.record(exited('web'), at(1));
    await journal.flush();
    journal.record(exited('web'), at(2));
    await journal.close();
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/^events are no longer written to .*events\.log \(.*ENOENT.*\); the controller keeps the newest in memory$/);
    expect(journal.query().map((event) => event.at)).toEqual([at(1), at(2)]);
  });
});
