import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { fullScanCount, handedOutBetween, listGroupMembers, listingCount, scanProcStats } from '../../src/os/group-members.js';
import { readProcStat, readProcStatSync } from '../../src/os/proc-stat.js';
import { waitFor } from '../support/wait.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) {
    try {
      cleanup();
    } catch {
      // already gone
    }
  }
});

describe('process groups in /proc', () => {
  it('scans every process, this one and its parent among them', () => {
    const stats = scanProcStats();
    expect(stats.find((stat) => stat.pid === process.pid)?.ppid).toBe(process.ppid);
    expect(stats.some((stat) => stat.pid === process.ppid)).toBe(true);
  });

  it('lists the members of a process group', async () => {
    const stat = await readProcStat(process.pid);
    const members = await listGroupMembers(stat!.pgrp);
    expect(members.map((member) => member.pid)).toContain(process.pid);
  });

  it('finds a member that outlived its zombie leader, both created after the last full scan', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stack-group-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const pids = join(dir, 'pids');
    // The scan a stop's first check makes; the group below is created after it.
    scanProcStats();
    // `exec sleep` never reaps: the session leader stays a zombie once it exits, as under a PID 1
    // that reaps late. Its child stays alive in the group.
    const parent = spawn('sh', ['-c', `setsid sh -c 'echo $$ > ${pids}; sleep 300 & echo $! >> ${pids}; exit 0' & exec sleep 300`], { stdio: 'ignore' });
    cleanups.push(() => parent.kill('SIGKILL'));
    const [leader, member] = await waitFor(() => {
      const lines = readFileSync(pids, { encoding: 'utf8', flag: 'a+' }).split('\n').filter(Boolean).map(Number);
      return lines.length === 2 && readProcStatSync(lines[0]!)?.state === 'Z' ? lines : undefined;
    }, 5000, 'the zombie leader and its live child');
    cleanups.push(() => process.kill(-leader!, 'SIGKILL'));
    // Answered from the scan above and the pids handed out since: no second full scan.
    const scans = fullScanCount();
    expect((await listGroupMembers(leader!)).map((stat) => stat.pid)).toEqual([member]);
    expect(fullScanCount()).toBe(scans);
    process.kill(member!, 'SIGKILL');
    await waitFor(async () => (await listGroupMembers(leader!)).length === 0, 5000, 'the group to have no live member');
  });

  it('answers groups asked about at once from one listing of /proc', async () => {
    const leaders = Array.from({ length: 5 }, () => {
      const child = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
      cleanups.push(() => child.kill('SIGKILL'));
      return child.pid!;
    });
    scanProcStats();
    const listed = listingCount();
    const members = await Promise.all(leaders.map((pgid) => listGroupMembers(pgid)));
    expect(members.map((list) => list.map((stat) => stat.pid))).toEqual(leaders.map((pid) => [pid]));
    expect(listingCount() - listed).toBe(1);
    // A question asked after that listing began gets a listing of its own.
    process.kill(leaders[0]!, 'SIGKILL');
    await waitFor(async () => (await listGroupMembers(leaders[0]!)).length === 0, 5000, 'the killed leader to leave its group');
    expect(listingCount() - listed).toBeGreaterThan(1);
  });

  it('tells the pids handed out between two cursors, across the wrap of the cycle', () => {
    expect(handedOutBetween(101, 100, 105, 32768)).toBe(true);
    expect(handedOutBetween(100, 100, 105, 32768)).toBe(false);
    expect(handedOutBetween(106, 100, 105, 32768)).toBe(false);
    expect(handedOutBetween(32767, 32760, 5, 32768)).toBe(true);
    expect(handedOutBetween(3, 32760, 5, 32768)).toBe(true);
    expect(handedOutBetween(6, 32760, 5, 32768)).toBe(false);
    expect(handedOutBetween(32000, 32760, 5, 32768)).toBe(false);
    // Against walking the cycle one pid at a time.
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 300 }), fc.nat(), fc.nat(), fc.nat(), (pidMax, a, b, c) => {
        const [from, to, pid] = [a % pidMax, b % pidMax, c % pidMax];
        const walked = new Set<number>();
        for (let at = from; at !== to; ) {
          at = (at + 1) % pidMax;
          walked.add(at);
        }
        expect(handedOutBetween(pid, from, to, pidMax)).toBe(walked.has(pid));
      }),
    );
  });
});
