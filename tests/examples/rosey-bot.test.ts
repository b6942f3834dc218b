// examples/rosey-bot: plugins added and removed under `up --detach`, the bot never restarted.
import { afterAll, describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAlive, killRecordedGroups, stack, waitFor } from '../support/stack-cli.js';

const EXAMPLE = join(import.meta.dirname, '..', '..', 'examples', 'rosey-bot');
const dir = mkdtempSync(join(tmpdir(), 'stack-rosey-'));
cpSync(EXAMPLE, dir, { recursive: true, filter: (source) => !/[/\\]\.stack$/.test(source) });
const file = join(dir, 'stack.yaml');
let controllerPid = 0;

afterAll(() => {
  stack(['-f', file, 'down', '--yes']);
  if (controllerPid && isAlive(controllerPid)) process.kill(controllerPid, 'SIGKILL');
  killRecordedGroups(dir);
  rmSync(dir, { recursive: true, force: true });
});

interface Bot { pid: number; plugins: string[] }
const bot = async (): Promise<Bot | undefined> => {
  try {
    return (await (await fetch('http://127.0.0.1:58190/')).json()) as Bot;
  } catch {
    return undefined;
  }
};
const pidOf = (name: string) =>
  (JSON.parse(stack(['-f', file, 'status', '--json']).stdout) as { services: { name: string; pid?: number; observed: string }[] }).services.find((s) => s.name === name);

describe('examples/rosey-bot', () => {
  it('hot-adds and removes plugins under up --detach without restarting the bot', async () => {
    const up = stack(['-f', file, 'up', '--detach']);
    expect(up.code, up.stdout + up.stderr).toBe(0);
    controllerPid = Number(/\(pid (\d+)/.exec(up.stdout)?.[1]);
    const first = await waitFor(async () => { const b = await bot(); return b?.plugins.includes('echo') && b; }, 10_000, 'echo to register');
    const echoPid = pidOf('plugin-echo')?.pid;

    // Add a plugin: uncomment its entry, as the example's comment says, and save.
    writeFileSync(file, readFileSync(file, 'utf8').replace(/^ {2}# /gm, '  '));
    await waitFor(async () => (await bot())?.plugins.includes('dice'), 10_000, 'dice to register after the edit');
    expect((await bot())?.pid).toBe(first.pid);
    expect(pidOf('plugin-echo')?.pid).toBe(echoPid);

    // Remove a plugin: delete its entry and save.
    writeFileSync(file, readFileSync(file, 'utf8').replace(/ {2}plugin-echo:\n(?: {4}.*\n)+/, ''));
    await waitFor(() => echoPid !== undefined && !isAlive(echoPid), 10_000, 'plugin-echo to be stopped');
    await waitFor(async () => { const b = await bot(); return b && !b.plugins.includes('echo'); }, 10_000, 'echo to stop beating');
    const last = await bot();
    expect(last).toMatchObject({ pid: first.pid, plugins: ['dice'] });

    const down = stack(['-f', file, 'down', '--yes']);
    expect(down.code, down.stdout + down.stderr).toBe(0);
    await waitFor(() => !isAlive(controllerPid) && !isAlive(first.pid), 10_000, 'the controller and the bot to exit');
  }, 90_000);
});
