// The library's boot flows where the CLI test cannot reach: macOS's launchd (a stand-in
// `launchctl` on PATH records its calls) and a --system unit written to a folder of the test's.
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootStatus, installBoot, uninstallBoot } from '../../src/api/boot.js';
import { fakeCommands, type Answers } from '../support/fake-commands.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function scratch(commands: Record<string, Answers>) {
  const dir = mkdtempSync(join(tmpdir(), 'stack-boot-api-'));
  dirs.push(dir);
  const file = join(dir, 'stack.yaml');
  writeFileSync(file, 'version: 1\nproject: shop\nservices:\n  web:\n    command: sleep 1000\n    stop: { timeout: 200s }\n');
  const fakes = fakeCommands(dir, commands);
  const home = join(dir, 'home');
  mkdirSync(home);
  return { dir, file, home, fakes, env: { HOME: home, USER: 'ann', PATH: `${fakes.bin}:${process.env.PATH}` } };
}

const uid = process.getuid?.() ?? 0;

describe('launchd (macOS)', () => {
  it('install writes the LaunchAgent and bootstraps it; status prints launchctl; uninstall boots it out and removes it', async () => {
    const s = scratch({ launchctl: { 'print*': { stdout: '\tstate = running\n\tpid = 4242' }, 'bootout*': { stdout: 'Boot-out failed: 3: No such process', code: 3 } } });
    const options = { file: s.file, env: s.env, platform: 'darwin' as const, program: ['/usr/local/bin/node', '/usr/local/lib/stack/bin/stack.cjs'] };
    const plist = join(s.home, 'Library', 'LaunchAgents', 'dev.stack.shop.plist');

    const installed = await installBoot(options);
    expect(installed).toMatchObject({ job: { kind: 'launchd', scope: 'user', name: 'dev.stack.shop', file: plist }, started: true, offline: false });
    // A first bootout failing (nothing loaded yet) is expected; the bootstrap is what counts.
    expect(s.fakes.calls()).toEqual([`launchctl bootout gui/${uid}/dev.stack.shop`, `launchctl bootstrap gui/${uid} ${plist}`]);
    const text = readFileSync(plist, 'utf8');
    expect(text).toContain(`<string>-f</string>\n    <string>${s.file}</string>`);
    expect(text).toContain(`<integer>230</integer>`);
    expect(existsSync(join(s.home, 'Library', 'Logs'))).toBe(true);

    expect(await bootStatus(options)).toEqual({ stackFile: s.file, jobs: [{ kind: 'launchd', scope: 'user', name: 'dev.stack.shop', file: plist, state: 'loaded, running (pid 4242)' }] });

    const removed = await uninstallBoot(options);
    expect(removed.removed.map((job) => job.file)).toEqual([plist]);
    expect(s.fakes.calls().slice(-1)).toEqual([`launchctl bootout gui/${uid}/dev.stack.shop`]);
    expect(existsSync(plist)).toBe(false);
  });

  it('refuses --system: a LaunchAgent is what it installs', async () => {
    const s = scratch({});
    await expect(installBoot({ file: s.file, env: s.env, platform: 'darwin', scope: 'system', program: ['/n', '/s'] })).rejects.toMatchObject({ code: 1, message: 'on macOS stack installs a LaunchAgent (--user): it starts at login' });
  });
});

describe('a --system unit', () => {
  it('runs as the named account, waits long enough for `stack down`, and is enabled through the system manager', async () => {
    const s = scratch({ systemctl: { '*is-system-running*': { stdout: 'degraded', code: 1 } } });
    const unitDir = join(s.dir, 'units');
    const outcome = await installBoot({ file: s.file, env: s.env, platform: 'linux', scope: 'system', as: 'root', unitDir, program: [process.execPath, '/opt/stack/bin/stack.cjs'] });
    expect(outcome).toMatchObject({ job: { kind: 'systemd', scope: 'system', file: join(unitDir, 'stack-shop.service') }, started: true, lingerOffFor: undefined });
    expect(s.fakes.calls()).toEqual(['systemctl is-system-running', 'systemctl daemon-reload', 'systemctl enable --now stack-shop.service']);
    const text = readFileSync(join(unitDir, 'stack-shop.service'), 'utf8');
    expect(text).toContain('User=root\nGroup=root\n');
    // One service with a 200 s stop: 230 s for `stack down`, above systemd's 90 s default.
    expect(text).toContain('TimeoutStopSec=230s\n');
  });

  it('says which command failed and why, and that the unit is written', async () => {
    const s = scratch({ systemctl: { '*is-system-running*': { stdout: 'running' }, '*enable*': { stdout: 'Failed to enable unit: Access denied', code: 1 } } });
    const unitDir = join(s.dir, 'units');
    await expect(installBoot({ file: s.file, env: s.env, platform: 'linux', scope: 'system', as: 'root', unitDir, program: [process.execPath, '/s'] })).rejects.toMatchObject({
      code: 1,
      message: 'systemctl enable --now stack-shop.service failed: exit code 1',
      hint: `${join(unitDir, 'stack-shop.service')} is written; see \`journalctl -u stack-shop.service\``,
    });
  });
});
