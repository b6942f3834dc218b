import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { askController, findController, stopController } from '../../../src/engine/supervise/controller-client.js';
import { answerRequest, takeRequests } from '../../../src/engine/supervise/requests.js';
import { ExitCode, StackError } from '../../../src/model/errors.js';
import { readProcStatSync } from '../../../src/os/proc-stat.js';
import type { LockOwner } from '../../../src/state/lock.js';
import { statePaths, type StatePaths } from '../../../src/state/paths.js';
import { tempDirs } from '../../state/helpers.js';
import { waitFor } from '../../support/wait.js';

const dirs = tempDirs('controller-client');
const children = new Set<ChildProcess>();

afterEach(async () => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  }
  children.clear();
  await dirs.cleanup();
});

/**
 * A stand-in controller: a real process named as the lock's holder. `ignoreTerm`: it does not end
 * on SIGTERM (a controller busy stopping, or stopped by SIGSTOP with the SIGTERM pending).
 */
async function standIn(command: string, options: { ignoreTerm?: boolean; onTerm?: (lockFile: string) => string } = {}): Promise<{ paths: StatePaths; holder: LockOwner; child: ChildProcess }> {
  const paths = statePaths(await dirs.make());
  await mkdir(paths.dir, { recursive: true });
  const trap = options.ignoreTerm ? 'trap "" TERM; ' : options.onTerm ? `trap '${options.onTerm(paths.lockFile)}' TERM; ` : '';
  const script = `${trap}echo ready; while :; do sleep 1; done`;
  const child = spawn('sh', ['-c', script], { stdio: ['ignore', 'pipe', 'ignore'] });
  children.add(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await waitFor(() => output.includes('ready'), 5000, 'the stand-in to start');
  const holder: LockOwner = { pid: child.pid as number, startTicks: readProcStatSync(child.pid as number)?.startTicks, command, since: new Date().toISOString() };
  await writeFile(paths.lockFile, `${JSON.stringify(holder)}\n`);
  return { paths, holder, child };
}

const stateOf = (pid: number) => readProcStatSync(pid)?.state;

describe('findController', () => {
  it('finds `stack watch` and `stack up` holding the lock, not another holder, and nothing once the holder is gone', async () => {
    const watch = await standIn('stack watch');
    expect(await findController(watch.paths.lockFile)).toMatchObject({ pid: watch.holder.pid, command: 'stack watch' });
    const apply = await standIn('stack apply');
    expect(await findController(apply.paths.lockFile)).toBeUndefined();
    watch.child.kill('SIGKILL');
    await once(watch.child, 'exit');
    expect(await findController(watch.paths.lockFile)).toBeUndefined();
  });
});

describe('stopController', () => {
  it('ends a controller with SIGTERM and resolves once it let go of the lock', async () => {
    const { paths, holder, child } = await standIn('stack watch');
    const exited = once(child, 'exit');
    const said: string[] = [];
    await stopController(paths.lockFile, holder, { stopTimeoutMs: 5000, say: (line) => said.push(line) });
    expect(await exited).toEqual([null, 'SIGTERM']);
    expect(await findController(paths.lockFile)).toBeUndefined();
    expect(said).toEqual([]);
  });

  it("waits, once the lock is let go, for the controller's process to end: down returns with no controller running", async () => {
    // As a controller ends: the lock goes with its last act, and the process a moment later.
    const { paths, holder, child } = await standIn('stack watch', { onTerm: (lockFile) => `rm -f ${lockFile}; sleep 0.5; exit 0` });
    const exited = once(child, 'exit');
    await stopController(paths.lockFile, holder, { stopTimeoutMs: 5000, say: () => undefined });
    // Ended (a zombie until this process reaps it), not still in its last half second.
    expect(['Z', undefined]).toContain(stateOf(holder.pid));
    expect(await exited).toEqual([0, null]);
  });

  it('continues a stopped controller and kills it once it has not exited within the stop timeout', async () => {
    const { paths, holder, child } = await standIn('stack up', { ignoreTerm: true });
    const exited = once(child, 'exit');
    child.kill('SIGSTOP');
    await waitFor(() => stateOf(holder.pid) === 'T', 5000, 'the stand-in to be stopped');
    const said: string[] = [];
    await stopController(paths.lockFile, holder, { stopTimeoutMs: 200, say: (line) => said.push(line) });
    expect(await exited).toEqual([null, 'SIGKILL']);
    expect(said).toEqual([
      `the controller (pid ${holder.pid}) is stopped (SIGSTOP or Ctrl+Z); continuing it`,
      `the controller (pid ${holder.pid}) did not exit 200ms after it was continued; killing it with SIGKILL`,
    ]);
  });

  it('refuses, with exit 7, a controller that belongs to another user', async () => {
    // pid 1 runs as root: a signal to it is refused unless the tests themselves run as root.
    if (process.getuid?.() === 0) return;
    const paths = statePaths(await dirs.make());
    const init: LockOwner = { pid: 1, command: 'stack watch', since: '' };
    const error = await stopController(paths.lockFile, init, { stopTimeoutMs: 200, say: () => undefined }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StackError);
    expect(error).toMatchObject({ code: ExitCode.locked, message: 'the controller (pid 1) belongs to another user; stop it there' });
  });
});

describe('askController', () => {
  it('hands a request to the controller and resolves with its answer', async () => {
    const { paths, holder } = await standIn('stack watch');
    // The controller's side, played here: take the request, answer it.
    const answered = (async () => {
      const [request] = await waitFor(async () => {
        const taken = await takeRequests(paths.dir);
        return taken.length > 0 ? taken : undefined;
      }, 5000, 'the request');
      expect(request).toMatchObject({ op: 'restart', services: ['web'] });
      await answerRequest(paths.dir, request?.id as string, { ok: true, lines: ['web restarted'] });
    })();
    const response = await askController(paths.dir, paths.lockFile, holder, { op: 'restart', services: ['web'] }, { stopTimeoutMs: 5000, say: () => undefined });
    await answered;
    expect(response).toEqual({ ok: true, lines: ['web restarted'] });
  });

  it('kills a controller that stays stopped past the stop timeout, waits for its lock to be free and resolves undefined', async () => {
    const { paths, holder, child } = await standIn('stack up', { ignoreTerm: true });
    const exited = once(child, 'exit');
    child.kill('SIGSTOP');
    await waitFor(() => stateOf(holder.pid) === 'T', 5000, 'the stand-in to be stopped');
    // Stopped again as soon as it was continued: it never answers.
    const stopper = setInterval(() => child.kill('SIGSTOP'), 10);
    try {
      const response = await askController(paths.dir, paths.lockFile, holder, { op: 'restart', services: ['web'] }, { stopTimeoutMs: 100, say: () => undefined });
      expect(response).toBeUndefined();
    } finally {
      clearInterval(stopper);
    }
    expect(await exited).toEqual([null, 'SIGKILL']);
    expect(await findController(paths.lockFile)).toBeUndefined();
  });

  it('throws when a running controller ends without answering', async () => {
    const { paths, holder, child } = await standIn('stack watch');
    const asked = askController(paths.dir, paths.lockFile, holder, { op: 'restart', services: ['web'] }, { stopTimeoutMs: 5000, say: () => undefined });
    child.kill('SIGKILL');
    await expect(asked).rejects.toThrow('the controller did not answer the request');
  });
});
