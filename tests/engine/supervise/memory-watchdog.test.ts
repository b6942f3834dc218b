import { describe, expect, it } from 'vitest';
import { MemoryWatchdog, overLimitWords } from '../../../src/engine/supervise/memory-watchdog.js';
import { checkLimits } from '../../../src/check/check-limits.js';
import { formatLimits, formatMemory } from '../../../src/reconcile/status-format.js';
import { statusRows } from '../../../src/reconcile/status-rows.js';
import { taskFailedWords } from '../../../src/reconcile/task-decision.js';
import { describeExit } from '../../../src/reconcile/exit-words.js';
import { observeIdle } from '../../../src/reconcile/idle.js';
import { load, yaml } from '../../config/helpers.js';
import type { Desired } from '../../../src/model/desired.js';
import type { AppliedService } from '../../../src/model/observed.js';

const desired = load(yaml('version: 1', 'services:', '  web:', '    command: node app.js', '    limits: { memory: 512MB, cpu: 1.5 }', '  db:', '    command: postgres', '  job:', '    command: ./job', '    limits: { pids: 20 }')).desired as Desired;
const usage = (web: number | null, db = 900_000_000) => new Map([['web', { cpu: 1, memory: web }], ['db', { cpu: 1, memory: db }], ['job', { cpu: 1, memory: db }]]);

describe('the memory watchdog', () => {
  it('kills a service over its memory limit with its reading, and none within its limit or without one', () => {
    const killed: [string, string][] = [];
    const watchdog = new MemoryWatchdog(() => desired, true, (service, reason) => killed.push([service, reason]) > 0);
    expect(watchdog.active).toBe(true);
    expect(watchdog.check(usage(500_000_000))).toEqual([]);
    expect(watchdog.check(usage(null))).toEqual([]);
    expect(watchdog.check(usage(530_000_000))).toEqual(['web']);
    expect(killed).toEqual([['web', 'memory limit 512 MB exceeded (530 MB)']]);
  });

  it('does nothing where cgroups keep the limits, and is idle without a memory limit', () => {
    const kill = () => {
      throw new Error('no kill expected');
    };
    expect(new MemoryWatchdog(() => desired, false, kill).check(usage(900_000_000))).toEqual([]);
    expect(new MemoryWatchdog(() => desired, false, kill).active).toBe(false);
    const withoutMemory = { ...desired, services: desired.services.filter((service) => service.name !== 'web') };
    expect(new MemoryWatchdog(() => withoutMemory, true, kill).active).toBe(false);
  });

  it('words a reading in the family of its limit', () => {
    expect(overLimitWords(512 * 1024 ** 2, 600 * 1024 ** 2)).toBe('memory limit 512 MiB exceeded (600 MiB)');
  });
});

describe('limits as status, top and check show them', () => {
  it('memory against its limit, and what keeps the limits', () => {
    expect(formatMemory({ memory: 130_000_000, limits: { memory: 512_000_000 } })).toBe('130 MB / 512 MB');
    expect(formatMemory({ memory: null, limits: { memory: 512_000_000 } })).toBe('- / 512 MB');
    expect(formatMemory({ memory: 2048 })).toBe('2.0K');
    expect(formatLimits({ limits: { memory: 512_000_000, cpu: 1.5, pids: 200 }, mechanism: 'cgroup-v1' })).toBe('cgroup-v1: memory 512 MB, cpu 1.5, pids 200');
    expect(formatLimits({ limits: { memory: 512_000_000, cpu: 1.5, pids: 200 }, mechanism: 'watchdog' })).toBe('watchdog: memory 512 MB, cpu 1.5, pids 200 (cpu and pids not enforced)');
    expect(formatLimits({})).toBe('-');
  });

  it('status rows carry limits and the mechanism on the services that have limits only', () => {
    const rows = statusRows(desired, new Map(), new Map(), { mechanism: 'cgroup-v1' });
    expect(rows.map((row) => [row.name, row.limits, row.mechanism])).toEqual([
      ['web', { memory: 512_000_000, cpu: 1.5 }, 'cgroup-v1'],
      ['db', undefined, undefined],
      ['job', { pids: 20 }, 'cgroup-v1'],
    ]);
  });

  it('stack check: a line per service with limits; the watchdog warns of what it cannot keep', () => {
    expect(checkLimits(desired.services, { name: 'cgroup-v1', why: 'writable cgroup v1 controllers' })).toEqual([
      { check: 'limits', ok: true, detail: 'web: cgroup-v1: memory 512 MB, cpu 1.5, by writable cgroup v1 controllers' },
      { check: 'limits', ok: true, detail: 'job: cgroup-v1: pids 20, by writable cgroup v1 controllers' },
    ]);
    const [web, job] = checkLimits(desired.services, { name: 'watchdog', why: 'STACK_LIMITS=watchdog' });
    expect(web).toMatchObject({ warning: true, detail: 'web: watchdog: memory 512 MB, cpu 1.5 (cpu not enforced), by STACK_LIMITS=watchdog' });
    expect(web?.hint).toMatch(/^the watchdog keeps memory only while a controller runs .*; cpu need a cgroup/);
    expect(job?.hint).toMatch(/^pids need a cgroup/);
  });

  it('an exit a limit caused says so instead of its signal', () => {
    expect(describeExit({ code: null, signal: 'SIGKILL', reason: 'killed by the OOM killer (memory limit 512 MB)' })).toBe('killed by the OOM killer (memory limit 512 MB)');
    expect(describeExit({ code: null, signal: 'SIGKILL', reason: 'exited' })).toBe('was killed by SIGKILL');
    expect(taskFailedWords({ code: null, signal: 'SIGKILL', reason: 'killed by the OOM killer (memory limit 100 MB)' })).toBe('task failed: killed by the OOM killer (memory limit 100 MB)');
    const record = { provider: 'process', restarts: 1, lastExit: { code: null, signal: 'SIGKILL', at: '2026-12-05T10:00:00.000Z', reason: 'memory limit 512 MB exceeded (530 MB)' } } as unknown as AppliedService;
    expect(observeIdle('web', record)).toMatchObject({ phase: 'crashed', detail: 'memory limit 512 MB exceeded (530 MB)' });
  });
});
