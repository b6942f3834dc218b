// `stack signal` on real processes: a trapped HUP, a TERM the controller restarts, the argv's
// mistakes, and a recorded pid that now belongs to another process.
import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive, stack, waitFor } from '../support/stack-cli.js';
import { Cleanup, rowOf, waitForPasses, type Scratch } from '../support/controller.js';
import { uniqueMarker } from '../support/marker.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** Fast restarts, so the supervised test takes milliseconds rather than seconds. */
const FAST = 'defaults:\n  restart: { backoff: { initial: 100ms, max: 200ms } }\n';

/** A shell that says which of HUP and USR1 it got, and goes on; `m` marks its sleeps for the clean-up. */
const trapping = (m: string) => `sh -c ': ${m}; trap "echo got HUP" HUP; trap "echo got USR1" USR1; while :; do sleep 0.1; done'`;

function stackOf(services: string): Scratch {
  const m = cleanup.marker(uniqueMarker());
  return cleanup.scratch(`version: 1\n${FAST}services:\n${services.replaceAll('MARK', m)}`);
}

const webOnly = () => stackOf(`  web:\n    command: ${JSON.stringify(trapping('MARK'))}\n`);

const logOf = (s: Scratch, name: string) => {
  try {
    return readFileSync(join(s.dir, '.stack', 'logs', `${name}.log`), 'utf8');
  } catch {
    return '';
  }
};

const recordOf = (s: Scratch, name: string) => s.state().services[name] as { pid?: number; pgid?: number; startTicks?: number; stoppedByUs?: boolean };

describe('stack signal', () => {
  it('sends HUP to the process group: the service handles it and keeps running, nothing recorded changes', async () => {
    const s = webOnly();
    expect(stack(['apply', '--yes', '-f', s.file]).code).toBe(0);
    const before = readFileSync(join(s.dir, '.stack', 'state.json'), 'utf8');
    const { pid } = recordOf(s, 'web');

    const result = stack(['signal', 'web', 'HUP', '-f', s.file]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(`web: sent SIGHUP to process group ${pid}\n`);
    await waitFor(() => logOf(s, 'web').includes('got HUP'), 5000, 'the trap to say it got HUP');
    // Other spellings name the same signal.
    expect(stack(['signal', 'web', 'usr1', '-f', s.file]).stdout).toBe(`web: sent SIGUSR1 to process group ${pid}\n`);
    await waitFor(() => logOf(s, 'web').includes('got USR1'), 5000, 'the trap to say it got USR1');
    expect(stack(['signal', 'web', 'SIGHUP', '-f', s.file]).code).toBe(0);
    expect(stack(['signal', 'web', '1', '-f', s.file]).code).toBe(0);

    expect(isAlive(pid as number)).toBe(true);
    expect(rowOf(s.file, 'web')).toMatchObject({ observed: 'running', desired: 'running', pid, restarts: 0 });
    expect(readFileSync(join(s.dir, '.stack', 'state.json'), 'utf8')).toBe(before);
  });

  it('refuses an unknown service (exit 4), an unknown signal and signal 0 (exit 1), in one line each', () => {
    const s = webOnly();
    expect(stack(['apply', '--yes', '-f', s.file]).code).toBe(0);
    const unknown = stack(['signal', 'nope', 'HUP', '-f', s.file]);
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toMatch(/^error: no service named "nope"/);
    const bad = stack(['signal', 'web', 'HUPP', '-f', s.file]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('error: unknown signal "HUPP"\nhint: name a signal: HUP, SIGHUP or 1; TERM, USR1, … (`kill -l` lists them)\n');
    expect(stack(['signal', 'web', '0', '-f', s.file]).stderr).toMatch(/^error: signal 0 sends nothing/);
    expect(stack(['signal', 'web', '99', '-f', s.file]).code).toBe(1);
    const reversed = stack(['signal', 'HUP', 'web', '-f', s.file]);
    expect(reversed.code).toBe(1);
    expect(reversed.stderr).toContain('hint: the signal comes last: `stack signal web HUP`');
    expect(stack(['signal', 'web', '-f', s.file]).code).toBe(1);
    expect(logOf(s, 'web')).not.toContain('got');
  });

  it('signals every named service that runs; one that does not is named, left alone, and the exit is 1', async () => {
    const s = stackOf(`  web:\n    command: ${JSON.stringify(trapping('MARK'))}\n  idle:\n    command: sleep MARK\n    state: stopped\n`);
    expect(stack(['apply', '--yes', '-f', s.file]).code).toBe(0);
    const result = stack(['signal', 'web', 'idle', 'HUP', '-f', s.file]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe(`web: sent SIGHUP to process group ${recordOf(s, 'web').pid}\n`);
    expect(result.stderr).toBe('idle: not running (stopped); not signalled\n');
    await waitFor(() => logOf(s, 'web').includes('got HUP'), 5000, 'web to get HUP');
    expect(stack(['signal', 'idle', 'TERM', '-f', s.file]).code).toBe(1);
  });

  it('never signals a recorded pid that now belongs to another process (start ticks differ)', async () => {
    const s = webOnly();
    expect(stack(['apply', '--yes', '-f', s.file]).code).toBe(0);
    expect(stack(['down', '--yes', '-f', s.file]).code).toBe(0);
    // Another process, not stack's, now has the recorded pid: the record points at it, with the
    // start time of the run stack had started, which is not its own.
    const other = spawn('sh', ['-c', 'trap "echo got HUP" HUP; trap "echo got USR1" USR1; echo ready; while :; do sleep 0.1; done'], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
    let heard = '';
    other.stdout.setEncoding('utf8').on('data', (chunk: string) => (heard += chunk));
    const otherPid = other.pid as number;
    try {
      await waitFor(() => heard.includes('ready'), 5000, 'the other process to start');
      const ticks = Number(readFileSync(`/proc/${otherPid}/stat`, 'utf8').split(') ')[1]?.split(' ')[19]);
      const pointAt = (startTicks: number) => {
        const state = s.state();
        Object.assign(state.services.web as object, { pid: otherPid, pgid: otherPid, startTicks, stoppedByUs: undefined });
        writeFileSync(join(s.dir, '.stack', 'state.json'), JSON.stringify(state));
      };
      pointAt(ticks - 1);
      const refused = stack(['signal', 'web', 'HUP', '-f', s.file]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toBe(`web: not running (crashed: pid ${otherPid} now belongs to another process); not signalled\n`);
      // The same record with the process's own start time does reach it: the test can fail.
      pointAt(ticks);
      expect(stack(['signal', 'web', 'USR1', '-f', s.file]).code).toBe(0);
      await waitFor(() => heard.includes('got USR1'), 5000, 'the other process to get USR1');
      expect(heard).not.toContain('got HUP');
    } finally {
      process.kill(-otherPid, 'SIGKILL');
    }
  });

  it('under stack watch: HUP is no crash; TERM ends the run and the restart policy starts it again, still desired running', async () => {
    const s = webOnly();
    const controller = cleanup.cli(['watch', '--interval', '1s', '-f', s.file]);
    await controller.waitForStderr(/watching .*stack\.yaml \(pid (\d+)\)/, 10_000, 'the "watching" line');
    const { pid } = recordOf(s, 'web');

    expect(stack(['signal', 'web', 'HUP', '-f', s.file]).code).toBe(0);
    await waitFor(() => logOf(s, 'web').includes('got HUP'), 5000, 'the trap to say it got HUP');
    await waitForPasses(s.dir, 1, 10_000);
    expect(recordOf(s, 'web').pid).toBe(pid);
    expect(rowOf(s.file, 'web')).toMatchObject({ observed: 'running', restarts: 0 });

    const term = stack(['signal', 'web', 'TERM', '-f', s.file]);
    expect(term.code, term.stderr).toBe(0);
    const restarted = await waitFor(() => { const now = recordOf(s, 'web'); return now.pid !== pid && now.pid !== undefined && isAlive(now.pid) ? now : undefined; }, 10_000, 'web to be restarted');
    expect(isAlive(pid as number)).toBe(false);
    expect(rowOf(s.file, 'web')).toMatchObject({ observed: 'running', desired: 'running', pid: restarted.pid, restarts: 1 });
    expect(controller.stderr()).toMatch(/! web was killed by SIGTERM\n.*↻ web restarting \(restart 1 of 5\)/);
  });
});
