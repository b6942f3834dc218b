// `stack service install|uninstall|status` through the built CLI. systemd cannot run here (it is
// not PID 1), so `systemctl` and `loginctl` are stand-ins on PATH that record their calls; the
// unit they are handed is the real text (tests/config/boot-unit.test.ts verifies it).
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stack, STACK_BIN } from '../support/stack-cli.js';
import { fakeCommands, type Answers } from '../support/fake-commands.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const RUNNING: Answers = { '*is-system-running*': { stdout: 'running' }, '*is-enabled*': { stdout: 'enabled' }, '*is-active*': { stdout: 'active' } };
const OFFLINE: Answers = { '*is-system-running*': { stdout: 'offline', code: 1 } };
const LINGER_OFF: Answers = { '*': { stdout: 'Linger=no' } };

/** A home and a stack in a folder whose name needs escaping; systemctl and loginctl as given. */
function machine(systemctl: Answers, loginctl: Answers = LINGER_OFF, folder = 'my app %h') {
  const dir = mkdtempSync(join(tmpdir(), 'stack-service-'));
  dirs.push(dir);
  const root = join(dir, folder);
  mkdirSync(root);
  const file = join(root, 'stack.yaml');
  writeFileSync(file, 'version: 1\nproject: shop\nservices:\n  web:\n    command: sleep 1000\n');
  const fakes = fakeCommands(dir, { systemctl, loginctl });
  const home = join(dir, 'home');
  const env = { HOME: home, USER: 'ann', XDG_CONFIG_HOME: '', PATH: `${fakes.bin}:${process.env.PATH}` };
  const run = (...args: string[]) => stack(['service', ...args], { env });
  return { dir, root, file, home, env, fakes, run, unit: join(home, '.config', 'systemd', 'user', 'stack-shop.service') };
}

describe('stack service install', () => {
  it('where systemd runs: writes the --user unit, reloads, enables and starts it', () => {
    const m = machine(RUNNING);
    const result = m.run('install', '--user', '-f', m.file);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(`wrote ${m.unit}\nstack-shop.service is enabled and started: the stack starts at boot\n`);
    expect(m.fakes.calls()).toEqual([
      'loginctl show-user ann -p Linger',
      'systemctl --user is-system-running',
      'systemctl --user daemon-reload',
      'systemctl --user enable --now stack-shop.service',
    ]);
    const text = readFileSync(m.unit, 'utf8');
    expect(text).toContain(`ExecStart="${process.execPath}" "${STACK_BIN}" "watch" "-f" "${m.root.replace('%h', '%%h')}/stack.yaml"`);
    expect(text).toContain(`WorkingDirectory=${m.root.replace('%h', '%%h')}\n`);
    expect(text).toContain('WantedBy=default.target');
    // Lingering is off: the unit would stop at logout, and the fix is named.
    expect(result.stderr).toContain('warning: stack-shop.service is a --user unit and lingering is off for ann');
    expect(result.stderr).toContain('hint: loginctl enable-linger ann');
  });

  it('elsewhere (systemd is not PID 1): writes the unit and prints the exact commands, running none', () => {
    const m = machine(OFFLINE);
    const result = m.run('install', '--user', '-f', m.file);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(
      [
        `wrote ${m.unit}`,
        'systemd is not running here (it is not the init system), so nothing was enabled. Where systemd runs, enable and start it with:',
        '  systemctl --user daemon-reload',
        '  systemctl --user enable --now stack-shop.service',
        '',
      ].join('\n'),
    );
    expect(m.fakes.calls().filter((call) => call.startsWith('systemctl'))).toEqual(['systemctl --user is-system-running']);
  });

  it('--dry-run prints the unit and writes nothing; --system names the account and multi-user.target', () => {
    const m = machine(RUNNING);
    const result = m.run('install', '--system', '--as', 'root', '--dry-run', '-f', m.file);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('User=root\nGroup=root\n');
    expect(result.stdout).toContain('WantedBy=multi-user.target');
    expect(result.stderr).toContain('(dry run: /etc/systemd/system/stack-shop.service not written)');
    expect(existsSync('/etc/systemd/system/stack-shop.service')).toBe(false);
    expect(m.fakes.calls()).toEqual([]);
  });

  it('names the variables only the shell sets: the unit does not have them (.env beside stack.yaml it does)', () => {
    const m = machine(OFFLINE);
    writeFileSync(m.file, 'version: 1\nproject: shop\nservices:\n  web:\n    command: sleep 1000\n    env:\n      TOKEN: ${TOKEN:?needed}\n      REGION: ${REGION:?needed}\n');
    writeFileSync(join(m.root, '.env'), 'REGION=eu\n');
    const result = stack(['service', 'install', '--user', '--dry-run', '-f', m.file], { env: { ...m.env, TOKEN: 'secret' } });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr.split('\n').filter((line) => line.startsWith('warning: at boot'))).toEqual([
      'warning: at boot, services.web.env.TOKEN: ${TOKEN} is not set: your shell sets it, the unit does not (put it in .env beside stack.yaml)',
    ]);
    expect(result.stdout).not.toContain('secret');
  });

  it('again: rewrites its own unit; another stack of the same name is refused with a hint, one of another name gets its own unit', () => {
    const m = machine(OFFLINE);
    expect(m.run('install', '--user', '-f', m.file).code).toBe(0);
    expect(m.run('install', '--user', '-f', m.file).code).toBe(0);

    const twin = join(m.dir, 'twin');
    mkdirSync(twin);
    writeFileSync(join(twin, 'stack.yaml'), 'version: 1\nproject: shop\nservices: {}\n');
    const refused = m.run('install', '--user', '-f', join(twin, 'stack.yaml'));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `error: ${m.unit} runs another stack: ${m.file}\nhint: give this stack its own name (\`project:\` in ${join(twin, 'stack.yaml')}), or remove that one first: stack service uninstall -f ${JSON.stringify(m.file)}\n`,
    );
    expect(readFileSync(m.unit, 'utf8')).toContain(`# stack file: ${m.file}\n`);

    writeFileSync(join(twin, 'stack.yaml'), 'version: 1\nproject: shop-2\nservices: {}\n');
    expect(m.run('install', '--user', '-f', join(twin, 'stack.yaml')).code).toBe(0);
    expect(existsSync(join(m.home, '.config', 'systemd', 'user', 'stack-shop-2.service'))).toBe(true);
  });

  it('says what is wrong in one line: an unknown action, --user with --system, --as for a --user unit', () => {
    const m = machine(OFFLINE);
    expect(m.run('frobnicate', '-f', m.file)).toMatchObject({ code: 1, stderr: 'error: stack service takes install, uninstall or status, not "frobnicate"\n' });
    expect(m.run('install', '--user', '--system', '-f', m.file)).toMatchObject({ code: 1, stderr: 'error: --user and --system cannot be used together\n' });
    expect(m.run('install', '--user', '--as', 'root', '-f', m.file)).toMatchObject({ code: 1, stderr: 'error: --as names the account of a --system unit; a --user unit runs as its user\n' });
    expect(m.run('install', '--system', '--as', 'nobody-here', '--dry-run', '-f', m.file).stderr).toMatch(/^error: --as: no user named "nobody-here"/);
    expect(m.run('status', '-f', join(m.dir, 'missing.yaml')).code).toBe(3);
  });
});

describe('stack service status and uninstall', () => {
  it('where systemd runs: status asks systemctl; uninstall stops and disables the unit, removes it and reloads', () => {
    const m = machine(RUNNING);
    expect(m.run('install', '--user', '-f', m.file).code).toBe(0);
    // As `systemctl enable` leaves it.
    const wants = join(m.home, '.config', 'systemd', 'user', 'default.target.wants');
    mkdirSync(wants);
    symlinkSync(m.unit, join(wants, 'stack-shop.service'));

    const status = m.run('status', '-f', m.file);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toBe(`stack-shop.service (systemd, --user): enabled, active\n  ${m.unit}\n`);

    const calls = m.fakes.calls().length;
    const removed = m.run('uninstall', '-f', m.file);
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toBe(`removed ${m.unit} (stack-shop.service stopped and disabled)\n`);
    expect(m.fakes.calls().slice(calls)).toEqual(['systemctl --user is-system-running', 'systemctl --user disable --now stack-shop.service', 'systemctl --user daemon-reload']);
    expect(existsSync(m.unit)).toBe(false);
    expect(existsSync(join(wants, 'stack-shop.service'))).toBe(false);

    expect(m.run('uninstall', '-f', m.file).stdout).toBe('no boot unit runs this stack: nothing to remove\n');
    expect(m.run('status', '-f', m.file).stdout).toBe(`no boot unit runs ${m.file}\nhint: stack service install\n`);
  });

  it('elsewhere: status says systemd is not running; uninstall removes the file (and an offline enable link)', () => {
    const m = machine(OFFLINE);
    expect(m.run('install', '--user', '-f', m.file).code).toBe(0);
    expect(m.run('status', '-f', m.file).stdout).toBe(`stack-shop.service (systemd, --user): installed; systemd is not running here (not the init system)\n  ${m.unit}\n`);
    // As `systemctl enable` leaves it, run offline (in an image being built).
    const wants = join(m.home, '.config', 'systemd', 'user', 'default.target.wants');
    mkdirSync(wants);
    symlinkSync(m.unit, join(wants, 'stack-shop.service'));
    const removed = m.run('uninstall', '-f', m.file);
    expect(removed).toMatchObject({ code: 0, stdout: `removed ${m.unit}\n` });
    expect(existsSync(m.unit)).toBe(false);
    expect(existsSync(join(wants, 'stack-shop.service'))).toBe(false);
    expect(m.fakes.calls().filter((call) => /disable|daemon-reload/.test(call))).toEqual([]);
  });
});

describe('stack check and a --user unit', () => {
  it('warns when lingering is off and says how to turn it on; passes when it is on; says nothing without a unit', () => {
    const off = machine(OFFLINE);
    const before = stack(['check', '-f', off.file], { env: off.env });
    expect(before.stdout).not.toContain('boot');
    expect(off.run('install', '--user', '-f', off.file).code).toBe(0);
    const warned = stack(['check', '-f', off.file], { env: off.env });
    expect(warned.code, warned.stdout).toBe(0);
    expect(warned.stdout).toContain('! boot   ');
    expect(warned.stdout).toContain('stack-shop.service is a --user unit and lingering is off for ann: it starts at their login, not at boot, and stops when they log out');
    expect(warned.stdout).toContain('hint: loginctl enable-linger ann');
    expect(warned.stdout).toMatch(/checks passed \(1 warning\)\.\n$/);
    expect(JSON.parse(stack(['check', '--json', '-f', off.file], { env: off.env }).stdout).checks.at(-1)).toEqual({
      check: 'boot',
      ok: true,
      warning: true,
      detail: 'stack-shop.service is a --user unit and lingering is off for ann: it starts at their login, not at boot, and stops when they log out',
      hint: 'loginctl enable-linger ann',
    });

    const on = machine(OFFLINE, { '*': { stdout: 'Linger=yes' } });
    expect(on.run('install', '--user', '-f', on.file).code).toBe(0);
    const passed = stack(['check', '-f', on.file], { env: on.env });
    expect(passed.stdout).toContain('✓ boot');
    expect(passed.stdout).toContain('stack-shop.service (--user) starts at boot: lingering is on for ann');
  });
});

