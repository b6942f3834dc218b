// stack on a real pseudo-terminal (tmux) that is closed, as a tmux window or an ssh session is:
// `up` stops everything, `watch` lets go, `apply` records what it did; and Ctrl+C leaves no
// spinner on the screen.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Cleanup, lockOf, sleepsWith, statusJson, type Scratch } from '../support/controller.js';
import { isAlive, processesWith, stack, STACK_BIN, waitFor } from '../support/stack-cli.js';
import { Terminal } from '../support/terminal.js';
import { uniqueMarker } from '../support/marker.js';

const cleanup = new Cleanup();
const terminals: Terminal[] = [];
afterEach(async () => {
  for (const terminal of terminals.splice(0)) await terminal.dispose();
  await cleanup.run();
});

const marker = () => {
  const m = uniqueMarker();
  cleanup.marker(`svc.js ${m}`);
  cleanup.marker(`sleep ${m}`);
  return m;
};

function open(command: string[], s: Scratch, options: { stderrTo?: string; hangup?: 'forward' | 'keep' } = {}): Terminal {
  const terminal = new Terminal([process.execPath, STACK_BIN, ...command, '-f', s.file], { cwd: s.dir, env: { NO_COLOR: '1' }, ...options });
  terminals.push(terminal);
  return terminal;
}

/** A service that logs a line every 100 ms and, stopped with SIGTERM, appends its name to stops.log. */
const SERVICE = `
const [, name] = process.argv.slice(2);
process.on('SIGTERM', () => {
  require('node:fs').appendFileSync(require('node:path').join(__dirname, 'stops.log'), name + '\\n');
  process.exit(0);
});
setInterval(() => console.log(name + ' tick'), 100);
`;

/** talker ← middle ← last: started in that order, so stopped last, middle, talker. */
function chain(m: string): Scratch {
  const service = (name: string, needs?: string) => `  ${name}:\n    command: [node, svc.js, "${m}", ${name}]\n${needs ? `    dependsOn: [${needs}]\n` : ''}`;
  return cleanup.scratch(`version: 1\nservices:\n${service('talker')}${service('middle', 'talker')}${service('last', 'middle')}`, { 'svc.js': SERVICE });
}

/** Every service of the chain has logged a line, so its SIGTERM handler is in place. */
async function chainLogging(s: Scratch): Promise<void> {
  const logged = (name: string) => existsSync(join(s.dir, '.stack', 'logs', `${name}.log`)) && readFileSync(join(s.dir, '.stack', 'logs', `${name}.log`), 'utf8').includes(`${name} tick`);
  await waitFor(() => ['talker', 'middle', 'last'].every(logged), 10_000, 'every service to log a line');
}

function stops(s: Scratch): string[] {
  return existsSync(join(s.dir, 'stops.log')) ? readFileSync(join(s.dir, 'stops.log'), 'utf8').trim().split('\n') : [];
}

async function expectEverythingStopped(s: Scratch, m: string, stackPid: number): Promise<void> {
  expect(processesWith(`svc.js ${m}`)).toHaveLength(0);
  expect(isAlive(stackPid)).toBe(false);
  expect(lockOf(s.dir)).toBeUndefined();
  expect(stops(s)).toEqual(['last', 'middle', 'talker']);
  const recorded = s.state().services as Record<string, { pid?: number; lastExit?: { reason?: string } }>;
  for (const name of ['talker', 'middle', 'last']) {
    expect(recorded[name]?.pid, name).toBeUndefined();
    expect(recorded[name]?.lastExit?.reason, name).toBe('stopped by stack');
  }
  expect(statusJson(s.file).services.map((row) => [row.name, row.observed])).toEqual([['talker', 'stopped'], ['middle', 'stopped'], ['last', 'stopped']]);
}

describe('a closed terminal', () => {
  it('under `stack up` (SIGHUP) stops every service in reverse order, releases the lock and exits 129, without a Node abort', async () => {
    const m = marker();
    const s = chain(m);
    const terminal = open(['up', '--interval', '1s'], s);
    await terminal.waitForScreen(/stack is up \(pid \d+\)/);
    await chainLogging(s);
    const stackPid = lockOf(s.dir)?.pid as number;

    terminal.close();
    const ended = await waitFor(() => terminal.ended(), 20_000, 'stack up to end');
    // Not killed by SIGABRT (`Assertion failed … node::ResetStdio()`), nor by the SIGHUP.
    expect(ended).toEqual({ code: 129, signal: null });
    await expectEverythingStopped(s, m, stackPid);
  });

  it('under `stack up` without a SIGHUP (a write fails with EIO) stops everything the same way; nothing is said of the failed writes', async () => {
    const m = marker();
    const s = chain(m);
    const errors = join(s.dir, 'stderr.log');
    // Only stdout is on the terminal here; stderr goes to a file, where a Node abort would show.
    const terminal = open(['up', '--interval', '1s'], s, { stderrTo: errors, hangup: 'keep' });
    await terminal.waitForScreen(/talker\s*\| talker tick/);
    await chainLogging(s);
    const stackPid = lockOf(s.dir)?.pid as number;

    terminal.close();
    const ended = await waitFor(() => terminal.ended(), 20_000, 'stack up to end');
    const said = readFileSync(errors, 'utf8');
    expect(ended, said).toEqual({ code: 129, signal: null });
    expect(said).toMatch(/stopping every service in reverse order/);
    expect(said).not.toMatch(/Assertion|node::|cannot write|EIO/);
    await expectEverythingStopped(s, m, stackPid);
  });

  it('under `stack watch` ends it as Ctrl+C does (services keep running), releases the lock and exits 129', async () => {
    const m = marker();
    const s = cleanup.scratch(`version: 1\nservices:\n  a:\n    command: sleep ${m}\n`);
    const terminal = open(['watch', '--interval', '1s'], s);
    await terminal.waitForScreen(/watching .* \(pid \d+\)/);
    const watchPid = lockOf(s.dir)?.pid as number;
    const [sleep] = sleepsWith(m);

    terminal.close();
    const ended = await waitFor(() => terminal.ended(), 20_000, 'stack watch to end');
    expect(ended).toEqual({ code: 129, signal: null });
    expect(isAlive(watchPid)).toBe(false);
    expect(lockOf(s.dir)).toBeUndefined();
    expect(existsSync(join(s.dir, '.stack', 'controller.json'))).toBe(false);
    expect(sleepsWith(m).map((proc) => proc.pid)).toEqual([sleep?.pid]);
    expect(s.state().services.a?.pid).toBe(sleep?.pid);
  });

  it.each(['forward', 'keep'] as const)('during `stack apply` (SIGHUP: %s) interrupts it as Ctrl+C does: recorded, exit 129, and the next apply starts nothing twice', async (hangup) => {
    const m = marker();
    const s = cleanup.scratch('version: 1\n');
    // slow is ready once this file exists: not before the terminal closes, at once after.
    const go = join(s.dir, 'go');
    s.write(`version: 1\nservices:\n  quick:\n    command: sleep ${m}\n  slow:\n    command: sleep ${m}\n    ready: { exec: "test -f ${go}", timeout: 60s, interval: 100ms }\n`);
    const terminal = open(['apply', '--yes'], s, { hangup });
    await terminal.waitForScreen(/slow starting…/);
    await waitFor(() => sleepsWith(m).length === 2, 5000, 'both sleeps');
    const pids = sleepsWith(m).map((proc) => proc.pid).sort();

    terminal.close();
    const ended = await waitFor(() => terminal.ended(), 20_000, 'stack apply to end');
    expect(ended).toEqual({ code: 129, signal: null });
    expect(lockOf(s.dir)).toBeUndefined();
    const recorded = s.state().services;
    expect([recorded.quick?.pid, recorded.slow?.pid].sort()).toEqual(pids);

    writeFileSync(go, '');
    const again = stack(['apply', '--yes', '-f', s.file]);
    expect(again.code, again.stderr).toBe(0);
    expect(sleepsWith(m).map((proc) => proc.pid).sort()).toEqual(pids);
  });
});

describe('Ctrl+C on a terminal', () => {
  it('during `stack apply` leaves no spinner on the screen, and its notice stays', async () => {
    const m = marker();
    const s = cleanup.scratch(
      `version: 1\nservices:\n  quick:\n    command: sleep ${m}\n  slow:\n    command: sleep ${m}\n    ready: { exec: "false", timeout: 60s, interval: 100ms }\n`,
    );
    const terminal = open(['apply', '--yes'], s);
    await terminal.waitForScreen(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] slow starting…/);
    terminal.keys('C-c');
    const ended = await waitFor(() => terminal.ended(), 20_000, 'stack apply to end');
    expect(ended).toEqual({ code: 130, signal: null });
    const screen = terminal.screen();
    expect(screen).toMatch(/Interrupted: stopping what is in flight/);
    expect(screen).toMatch(/! slow interrupted/);
    expect(screen).not.toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/);
    expect(screen).not.toMatch(/starting…/);
  });
});

