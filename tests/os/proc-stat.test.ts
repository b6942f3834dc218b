import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkOwnership, isOurs, parseProcStat, readBootTime, readProcStat, ticksToIso } from '../../src/os/proc-stat.js';

// Fields 3..22 after the comm; starttime (field 22) is 987654.
const tail = 'S 100 4242 4242 0 -1 4194560 10 0 0 0 1 2 0 0 20 0 1 0 987654 1000 100 18446744073709551615';

describe('parseProcStat', () => {
  it('reads the fields after the last ")" even when comm holds spaces and parentheses', () => {
    const stat = parseProcStat(`4243 (my (weird) ) name) ${tail}`);
    expect(stat).toEqual({
      pid: 4243,
      comm: 'my (weird) ) name',
      state: 'S',
      ppid: 100,
      pgrp: 4242,
      session: 4242,
      startTicks: 987654,
    });
  });

  it('reads a zombie state', () => {
    expect(parseProcStat(`7 (sh) Z${tail.slice(1)}`)?.state).toBe('Z');
  });

  it('agrees with splitting every field, for any comm and field values (property)', () => {
    const field = fc.integer({ min: -1, max: 2 ** 40 });
    fc.assert(
      fc.property(
        fc.string({ maxLength: 64 }).filter((comm) => !comm.includes('\n')),
        fc.constantFrom('R', 'S', 'D', 'Z', 'T', 'X', 'I'),
        fc.array(field, { minLength: 49, maxLength: 49 }),
        fc.nat({ max: 2 ** 22 }),
        (comm, state, numbers, pid) => {
          const text = `${pid} (${comm}) ${state} ${numbers.join(' ')}\n`;
          // The reference: every field after the last ')' split on spaces.
          const rest = text.slice(text.lastIndexOf(')') + 2).trim().split(' ');
          expect(parseProcStat(text)).toEqual({
            pid,
            comm,
            state: rest[0],
            ppid: Number(rest[1]),
            pgrp: Number(rest[2]),
            session: Number(rest[3]),
            startTicks: Number(rest[19]),
          });
        },
      ),
    );
  });

  it('refuses text that is not a stat line', () => {
    expect(parseProcStat('')).toBeUndefined();
    expect(parseProcStat('12 (x) S 1 2')).toBeUndefined();
    expect(parseProcStat('garbage without parens')).toBeUndefined();
  });
});

describe('/proc readers', () => {
  it('reads this process', async () => {
    const stat = await readProcStat(process.pid);
    expect(stat?.pid).toBe(process.pid);
    expect(stat?.ppid).toBe(process.ppid);
    expect(stat?.state).not.toBe('Z');
  });

  it('returns undefined for a pid that does not exist', async () => {
    expect(await readProcStat(2 ** 22 + 1)).toBeUndefined();
    expect(await checkOwnership(2 ** 22 + 1, 1)).toBe('gone');
  });

  it('tells ours from recycled by start ticks', async () => {
    const stat = await readProcStat(process.pid);
    expect(stat).toBeDefined();
    expect(await isOurs(process.pid, stat!.startTicks)).toBe(true);
    expect(await checkOwnership(process.pid, stat!.startTicks + 1)).toBe('recycled');
  });

  it('turns start ticks into a time near now', async () => {
    const stat = await readProcStat(process.pid);
    const since = Date.parse(ticksToIso(stat!.startTicks, await readBootTime()));
    expect(Math.abs(Date.now() - since)).toBeLessThan(10 * 60_000);
  });

  it('converts ticks at 100 per second', () => {
    expect(ticksToIso(150, 1_000_000)).toBe(new Date(1_000_001_500).toISOString());
  });
});
