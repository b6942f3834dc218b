import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { guardStoppedController } from '../../../src/engine/supervise/stopped-controller.js';
import { waitFor } from '../../support/wait.js';

const kills: (() => void)[] = [];
afterEach(() => {
  for (const kill of kills.splice(0)) kill();
});

function stateOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

/** A stand-in controller that ignores SIGTERM, stopped with SIGSTOP. */
async function stoppedProcess(): Promise<{ pid: number; exited: Promise<unknown> }> {
  const child = spawn('sh', ['-c', 'trap "" TERM; echo ready; while :; do sleep 1; done'], { stdio: ['ignore', 'pipe', 'ignore'] });
  kills.push(() => child.kill('SIGKILL'));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const pid = child.pid as number;
  // Stopped only once it ignores SIGTERM: a fatal signal kills even a stopped process.
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await waitFor(() => output.includes('ready'), 5000, 'the stand-in to ignore SIGTERM');
  process.kill(pid, 'SIGSTOP');
  await waitFor(() => stateOf(pid) === 'T', 5000, 'the process to be stopped');
  return { pid, exited };
}

describe('guardStoppedController', () => {
  it('says the controller is stopped, continues it, and kills it once it has not exited within the stop timeout', async () => {
    const { pid, exited } = await stoppedProcess();
    const said: string[] = [];
    const guard = guardStoppedController({ pid, command: 'stack up', since: '' }, { stopTimeoutMs: 200, waitingFor: 'exit', say: (line) => said.push(line) });
    process.kill(pid, 'SIGTERM');
    expect(guard.check()).toBe(true);
    expect(said).toEqual([`the controller (pid ${pid}) is stopped (SIGSTOP or Ctrl+Z); continuing it`]);
    await waitFor(() => stateOf(pid) !== 'T', 5000, 'the process to be continued');
    await waitFor(() => !guard.check(), 5000, 'the guard to give up on it');
    expect(guard.killed).toBe(true);
    expect(said[1]).toBe(`the controller (pid ${pid}) did not exit 200ms after it was continued; killing it with SIGKILL`);
    await exited;
  });

  it('waiting for an answer, leaves a continued controller running past the timeout', async () => {
    const { pid } = await stoppedProcess();
    const guard = guardStoppedController({ pid, command: 'stack up', since: '' }, { stopTimeoutMs: 50, waitingFor: 'answer', say: () => undefined });
    expect(guard.check()).toBe(true);
    await waitFor(() => stateOf(pid) !== 'T', 5000, 'the process to be continued');
    const since = performance.now();
    await waitFor(() => performance.now() - since > 100, 1000, 'the timeout to pass');
    expect(guard.check()).toBe(true);
    expect(guard.killed).toBe(false);
  });

  it('waiting for an answer, kills a controller that is stopped again once the timeout has passed', async () => {
    const { pid, exited } = await stoppedProcess();
    const said: string[] = [];
    const guard = guardStoppedController({ pid, command: 'stack up', since: '' }, { stopTimeoutMs: 50, waitingFor: 'answer', say: (line) => said.push(line) });
    expect(guard.check()).toBe(true);
    await waitFor(() => stateOf(pid) !== 'T', 5000, 'the process to be continued');
    process.kill(pid, 'SIGSTOP');
    await waitFor(() => stateOf(pid) === 'T', 5000, 'the process to be stopped again');
    const since = performance.now();
    await waitFor(() => performance.now() - since > 100, 1000, 'the timeout to pass');
    expect(guard.check()).toBe(false);
    expect(guard.killed).toBe(true);
    expect(said[1]).toBe(`the controller (pid ${pid}) is still stopped 50ms after it was continued; killing it with SIGKILL`);
    await exited;
  });
});
