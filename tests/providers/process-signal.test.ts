// The process provider's `signal` on real processes: the group, what left it, a recycled pid.
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AppliedService } from '../../src/model/observed.js';
import type { OperationContext, StartedService } from '../../src/model/provider.js';
import { readProcStat } from '../../src/os/proc-stat.js';
import { logFileOf } from '../../src/providers/process/logs.js';
import { createProcessProvider } from '../../src/providers/process/process-provider.js';
import { GroupTracker, makeContext, makeService, makeTempDir, removeDir, waitFor } from './helpers.js';

const groups = new GroupTracker();
const provider = createProcessProvider();
let root: string;
let ctx: OperationContext;

beforeEach(async () => {
  root = await makeTempDir();
  ctx = makeContext(root);
});
afterEach(async () => {
  await groups.killAll();
  await removeDir(root);
});

/** A shell that says (as `<who>`) when it got HUP, and goes on. */
const TRAPPER = 'trap "echo $1 got HUP" HUP; echo "$1 ready $$"; while :; do sleep 0.1; done\n';

const appliedOf = (started: Pick<StartedService, 'pid' | 'pgid' | 'startTicks'>): AppliedService => ({
  provider: 'process', specHash: 'h', installHash: 'i', fields: {}, restarts: 0, pid: started.pid, pgid: started.pgid, startTicks: started.startTicks,
});

const readLog = () => readFile(logFileOf(ctx.stateDir, 'web'), 'utf8').catch(() => '');

async function startScript(script: string): Promise<StartedService> {
  await writeFile(path.join(root, 'trapper.sh'), TRAPPER);
  const started = await provider.start(makeService(root, ['sh', '-c', script]), ctx);
  groups.track(started.pgid);
  return started;
}

describe('process provider: signal', () => {
  it('reaches the group and what left it: a setsid child (by its parent) and a double fork (by its marker)', async () => {
    const started = await startScript('setsid sh trapper.sh near & (setsid sh trapper.sh far &); exec sh trapper.sh main');
    await waitFor(async () => logHasAll(await readLog(), 'ready'), 5000, 'three trappers ready');
    // Both left the group: each leads a session and group of its own.
    for (const who of ['near', 'far']) {
      const pid = Number(new RegExp(`${who} ready (\\d+)`).exec(await readLog())?.[1]);
      groups.track(pid);
      expect((await readProcStat(pid))?.pgrp).toBe(pid);
    }

    const outcome = await provider.signal!('web', appliedOf(started), 'SIGHUP', ctx);
    expect(outcome).toEqual({ kind: 'sent', to: `process group ${started.pgid} and what it started outside that group` });
    await waitFor(async () => logHasAll(await readLog(), 'got HUP'), 5000, 'each to get HUP');
    expect((await readLog()).match(/got HUP/g)).toHaveLength(3);
  });

  it('never signals a pid whose start time is not the recorded one', async () => {
    const other = spawn('sh', ['-c', TRAPPER, 'sh', 'other'], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
    groups.track(other.pid);
    let heard = '';
    other.stdout.setEncoding('utf8').on('data', (chunk: string) => (heard += chunk));
    await waitFor(() => heard.includes('other ready'), 5000, 'the other process');
    const ticks = (await readProcStat(other.pid as number))!.startTicks;
    const record = { pid: other.pid, pgid: other.pid, startTicks: ticks + 1 };

    expect(await provider.signal!('web', appliedOf(record), 'SIGHUP', ctx)).toEqual({ kind: 'not-running', reason: `pid ${other.pid} now belongs to another process; not signalling it` });
    // With its own start time it is reached: the refusal above was the check, not chance.
    expect(await provider.signal!('web', appliedOf({ ...record, startTicks: ticks }), 'SIGUSR1', ctx)).toMatchObject({ kind: 'sent' });
    await waitFor(() => other.exitCode !== null || other.signalCode !== null, 5000, 'USR1 (untrapped) to end it');
    expect(other.signalCode).toBe('SIGUSR1');
    expect(heard).not.toContain('got HUP');
  });

  it('says what it did not signal: no pid recorded, a run that is gone', async () => {
    expect(await provider.signal!('web', { ...appliedOf({}), pid: undefined }, 'SIGHUP', ctx)).toEqual({ kind: 'not-running', reason: 'no run is recorded' });
    const started = await startScript('exit 0');
    await started.exited;
    expect(await provider.signal!('web', appliedOf(started), 'SIGHUP', ctx)).toEqual({ kind: 'not-running', reason: `pid ${started.pid} is gone` });
  });
});

const logHasAll = (log: string, what: string) => ['main', 'near', 'far'].every((who) => log.includes(`${who} ${what}`));

