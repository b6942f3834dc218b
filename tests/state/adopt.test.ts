// When a read-only view may skip the scan of /proc for runs whose state write was lost, and what
// a scan of /proc finds: runs of this stack, and what they left outside their groups.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { scanProcStats } from '../../src/os/group-members.js';
import { readProcStatSync } from '../../src/os/proc-stat.js';
import { findMarkedProcesses, runsAccountedFor } from '../../src/state/adopt.js';
import { markerEnv } from '../../src/state/service-marker.js';
import { waitFor } from '../support/wait.js';
import type { AppliedService, ObservedService } from '../../src/model/observed.js';

const self = readProcStatSync(process.pid)!;
const base: AppliedService = { provider: 'process', specHash: 'h', installHash: 'i', fields: {}, restarts: 0 };
const live: AppliedService = { ...base, pid: process.pid, pgid: self.pgrp, startTicks: self.startTicks };

describe('runsAccountedFor', () => {
  const running = (name: string): ObservedService => ({ name, phase: 'running' });
  it('is true when every process record is observed running; other providers are their own business', () => {
    expect(runsAccountedFor(new Map([['api', live], ['db', { ...base, provider: 'compose' }]]), new Map([['api', running('api')]]))).toBe(true);
  });

  it('is false when a process record holds no run, or one that is not running (gone, recycled, a zombie)', () => {
    expect(runsAccountedFor(new Map([['api', live], ['worker', base]]), new Map([['api', running('api')], ['worker', { name: 'worker', phase: 'stopped' }]]))).toBe(false);
    expect(runsAccountedFor(new Map([['api', live]]), new Map([['api', { name: 'api', phase: 'crashed' }]]))).toBe(false);
    expect(runsAccountedFor(new Map([['api', live]]), new Map())).toBe(false);
  });

  it('is true of a service stack stopped that stack.yaml declares stopped; not once stack.yaml wants it running, nor after a crash', () => {
    const stopped: AppliedService = { ...base, stoppedByUs: true };
    const records = new Map([['api', live], ['worker', stopped]]);
    const seen = new Map([['api', running('api')], ['worker', { name: 'worker', phase: 'stopped' } as ObservedService]]);
    expect(runsAccountedFor(records, seen, new Set(['worker']))).toBe(true);
    // `stack start worker` edits stack.yaml to running first: a start whose write was lost is looked for.
    expect(runsAccountedFor(records, seen, new Set())).toBe(false);
    expect(runsAccountedFor(new Map([['api', live], ['worker', { ...base, stoppedByUs: false }]]), seen, new Set(['worker']))).toBe(false);
    // A record that still holds a pid is a run to account for, whatever stack.yaml says.
    expect(runsAccountedFor(new Map([['worker', { ...stopped, pid: 999_999_999 }]]), seen, new Set(['worker']))).toBe(false);
  });
});

describe('findMarkedProcesses on real processes', () => {
  const stateDir = `/tmp/stack-adopt-test-${process.pid}/.stack`;
  const spec = { specHash: 's', installHash: 'i' };
  const groups: number[] = [];
  afterEach(() => {
    for (const pgid of groups.splice(0)) {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });

  let seed = 70_000 + Math.floor(Math.random() * 9_000);
  /** Starts `sh -c script` as the process provider would: its own session and group, with the marker of `service`. */
  function start(service: string, script: string, dir = stateDir): number {
    const child = spawn('sh', ['-c', script], { detached: true, stdio: 'ignore', env: { ...process.env, ...markerEnv(dir, service, spec) } });
    child.unref();
    groups.push(child.pid as number);
    return child.pid as number;
  }
  const cmdlineOf = (pid: number): string => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'latin1').replace(/\0/g, ' ').trim();
    } catch {
      return ''; // exited meanwhile
    }
  };
  const sleepsOf = (m: number) => scanProcStats().filter((stat) => stat.state !== 'Z' && cmdlineOf(stat.pid) === `sleep ${m}`);
  const alive = (pid: number) => readProcStatSync(pid)?.state !== undefined && readProcStatSync(pid)?.state !== 'Z';

  it('finds runs (leaders), strays left by a launcher that exited, and one stray per group, the oldest', async () => {
    const m = (seed += 1);
    const leader = start('a', `exec sleep ${m}`);
    const launcher = start('b', `sleep ${m} & sleep ${m} &`);
    start('a', `exec sleep ${m}`, '/elsewhere/.stack'); // another stack's run: not ours
    await waitFor(() => sleepsOf(m).length === 4 && !alive(launcher), 5000, 'the sleeps, and the launcher gone');

    const { runs, strays } = await findMarkedProcesses(stateDir);
    expect([...runs.values()]).toEqual([expect.objectContaining({ service: 'a', pid: leader, pgid: leader })]);
    expect(strays).toHaveLength(1);
    const [stray] = strays;
    expect(stray).toMatchObject({ service: 'b', pgid: launcher });
    const both = sleepsOf(m).filter((stat) => stat.pgrp === launcher);
    expect(both.map((stat) => stat.pid)).toContain(stray?.pid);
    expect(stray?.startTicks).toBe(Math.min(...both.map((stat) => stat.startTicks)));
    // A stale record naming the leader's group (its pid reused) never hides a run to adopt.
    expect((await findMarkedProcesses(stateDir, new Set(), new Set([leader]))).runs.get('a')?.pid).toBe(leader);
  });

  // Issue 34: with 1,000 services, the 1,000 relays' environments were read on every command.
  it('does not take a log relay (its own session, named stack-log-relay) for a run, whatever its environment', async () => {
    const relay = join(process.cwd(), 'native', 'build', 'Release', 'stack-log-relay');
    expect(existsSync(relay), 'the native relay is built by npm ci').toBe(true);
    const m = (seed += 1);
    const leader = start('d', `exec sleep ${m}`);
    mkdirSync(`/tmp/stack-adopt-test-${process.pid}`, { recursive: true });
    const log = openSync(`/tmp/stack-adopt-test-${process.pid}/d.log`, 'a');
    // Its environment carries the marker here, as if stack itself ran inside a service of this stack.
    const child = spawn(relay, ['3', '4', '5'], { detached: true, stdio: ['ignore', 'ignore', 'inherit', 'pipe', 'pipe', log], env: { ...process.env, ...markerEnv(stateDir, 'e', spec) } });
    closeSync(log);
    child.unref();
    groups.push(child.pid as number);
    await waitFor(() => readProcStatSync(child.pid as number)?.comm === 'stack-log-relay' && sleepsOf(m).length === 1, 5000, 'the relay and the sleep');

    const { runs, strays } = await findMarkedProcesses(stateDir);
    expect([...runs.values()].map((run) => run.pid)).toEqual([leader]);
    expect(strays).toEqual([]);
  });

  it("skips a recorded run's group, but not a child that moved to a group of its own in the run's session", async () => {
    const m = (seed += 1);
    const python = `import os; os.setpgid(0, 0); os.execvp('sleep', ['sleep', '${m}'])`;
    const run = start('c', `sleep ${m} & python3 -c "${python}" & wait`);
    await waitFor(() => sleepsOf(m).length === 2, 5000, 'both sleeps');
    const moved = sleepsOf(m).find((stat) => stat.pgrp !== run);
    expect(moved).toBeDefined();
    groups.push(moved?.pgrp as number);

    // Unrecorded, the run is found and what is in its group goes with it.
    const unrecorded = await findMarkedProcesses(stateDir);
    expect(unrecorded.runs.get('c')?.pid).toBe(run);
    const ticks = readProcStatSync(run)?.startTicks as number;
    const recorded = await findMarkedProcesses(stateDir, new Set([`${run}:${ticks}`]), new Set([run]));
    expect(recorded.runs.size).toBe(0);
    expect(recorded.strays).toEqual([expect.objectContaining({ service: 'c', pid: moved?.pid, pgid: moved?.pid })]);
    // Unrecorded, the run is adopted first; the next scan, with it recorded, finds the moved child.
    expect(unrecorded.strays).toEqual([]);
  });
});
