import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { GroupTracker } from '../providers/helpers.js';
import { cpuPercent, parsePageSize, parseProcUsage, readArgv, readGroupUsage } from '../../src/os/proc-usage.js';
import { waitFor } from '../support/wait.js';

// Fields 3..24 after the comm: utime 11, stime 22, cutime 33, cstime 44 (fields 14-17), rss 1234 (field 24).
const tail = 'S 100 4242 4242 0 -1 4194560 10 0 0 0 11 22 33 44 20 0 1 0 987654 1000 1234 18446744073709551615';

describe('parseProcUsage', () => {
  it('sums utime, stime, cutime and cstime and reads the rss in pages, after the last ")"', () => {
    expect(parseProcUsage(`4243 (my (weird) ) 1 2 3) ${tail}`)).toEqual({ pid: 4243, state: 'S', pgrp: 4242, cpuTicks: 110, rssPages: 1234 });
  });

  it('rejects a line cut before the rss and one without a comm', () => {
    expect(parseProcUsage(`4243 (sh) ${tail.split(' ').slice(0, 21).join(' ')}`)).toBeUndefined();
    expect(parseProcUsage(`4243 sh ${tail}`)).toBeUndefined();
    expect(parseProcUsage(`4243 (sh) ${tail.replace(' 11 ', ' x ')}`)).toBeUndefined();
  });

  it('reads this process: its group, some ticks and some memory', () => {
    const own = parseProcUsage(readFileSync('/proc/self/stat', 'utf8'));
    expect(own?.pid).toBe(process.pid);
    expect(own?.rssPages).toBeGreaterThan(0);
  });
});

describe('parsePageSize', () => {
  it('reads the first KernelPageSize, in bytes', () => {
    expect(parsePageSize('5618aca8b000-5618aca8d000 r--p 00000000 fe:00 260386   /usr/bin/head\nSize:    8 kB\nKernelPageSize:        4 kB\nMMUPageSize:  4 kB\n')).toBe(4096);
    expect(parsePageSize('KernelPageSize:       64 kB\n')).toBe(65536);
    expect(parsePageSize('')).toBeUndefined();
  });
});

describe('cpuPercent', () => {
  it('is the ticks used over the wall time, as a percent of one core, one decimal', () => {
    expect(cpuPercent(100, 300, 2000)).toBe(100);
    expect(cpuPercent(100, 101, 2000)).toBe(0.5);
    expect(cpuPercent(0, 350, 2000)).toBe(175);
    expect(cpuPercent(0, 1, 3000)).toBe(0.3);
  });

  it('reads 0 when the group lost ticks (a member left it) and null without elapsed time', () => {
    expect(cpuPercent(500, 200, 2000)).toBe(0);
    expect(cpuPercent(100, 200, 0)).toBeNull();
  });
});

/** The states of the processes of group `pgid`, zombies included. */
function listStates(pgid: number): string[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map((pid) => {
      try {
        return parseProcUsage(readFileSync(`/proc/${pid}/stat`, 'utf8'));
      } catch {
        return undefined;
      }
    })
    .filter((stat) => stat?.pgrp === pgid)
    .map((stat) => stat?.state ?? '');
}

describe('readGroupUsage', () => {
  const children = new GroupTracker();
  afterEach(() => children.killAll());

  it('sums the members of a real group: a busy loop gains ticks, three processes are counted, a group not asked for is not read', async () => {
    // A group of three: the shell, a busy loop and a sleep.
    const child = spawn('sh', ['-c', '(while :; do :; done) & sleep 60 & wait'], { detached: true, stdio: 'ignore' });
    children.track(child.pid);
    const pgid = child.pid as number;
    const first = await waitFor(() => {
      const usage = readGroupUsage(new Set([pgid])).get(pgid);
      return usage && usage.processes === 3 ? usage : undefined;
    }, 5000, 'the group to have its three processes');
    expect(first.rssBytes).toBeGreaterThan(0);
    await waitFor(() => ((readGroupUsage(new Set([pgid])).get(pgid)?.cpuTicks ?? 0) >= first.cpuTicks + 20 ? true : undefined), 10_000, 'the busy loop to use 0.2 s of CPU');
    expect(readGroupUsage(new Set()).size).toBe(0);
    // A zombie is not counted as a process: the shell's background child exits, and the sleep the
    // shell became by exec never reaps it.
    const withZombie = spawn('sh', ['-c', 'sleep 0.01 & exec sleep 60'], { detached: true, stdio: 'ignore' });
    const zombieGroup = withZombie.pid as number;
    children.track(zombieGroup);
    // The sleep may be caught running (R) for a moment after its exec; wait for the zombie beside it.
    const states = await waitFor(() => {
      const now = listStates(zombieGroup);
      return now.length === 2 && now.includes('Z') ? now : undefined;
    }, 5000, 'the background sleep to be a zombie');
    expect(states.filter((state) => state === 'Z')).toHaveLength(1);
    expect(readGroupUsage(new Set([zombieGroup])).get(zombieGroup)?.processes).toBe(1);
    expect(readGroupUsage(new Set([2 ** 22 + 1])).size).toBe(0);
  });

  it('reads the argv of a process that set its title (redis, nginx) without the NULs padding its old one', async () => {
    const child = spawn(process.execPath, ['-e', "process.title = 'renamed worker'; setInterval(() => {}, 1000)", 'padding', 'more padding'], { stdio: 'ignore' });
    try {
      await waitFor(() => readArgv(child.pid as number)?.[0] === 'renamed worker', 5_000, 'the new title');
      expect(readArgv(child.pid as number)).toEqual(['renamed worker']);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
