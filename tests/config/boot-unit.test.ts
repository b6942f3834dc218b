// The boot unit and the launchd job as text: against fixtures, read back by the tools that read
// them (systemd-analyze verify, Python's plistlib) where this machine has them, and the values
// that must survive systemd's quoting (a folder with a space, `%`, `$`, a backslash, a quote).
import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootLabelOf, bootUnitName, renderSystemdUnit, stackFileOfUnit, systemdUnitDir, unfitForProgram, unfitForUnit, type BootSpec } from '../../src/config/boot-unit.js';
import { launchdLabel, renderLaunchdPlist, stackFileOfPlist } from '../../src/config/boot-plist.js';
import { missingBinaries } from '../support/binaries.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'boot');
const fixture = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');

/** A folder name that needs every escape: a space, a specifier, a variable, a backslash, a quote, XML's `&` and `<`. */
const AWKWARD = `my app %h $HOME \\n "q" & <x>`;

function specIn(root: string, overrides: Partial<BootSpec> = {}): BootSpec {
  return {
    project: 'web-app',
    stackFile: `${root}/stack.yaml`,
    root,
    program: ['/opt/node 20/bin/node', `${root}/node_modules/.bin/stack.cjs`],
    path: '/home/ann/.nvm/versions/node/v20.11.0/bin:/usr/bin:/bin',
    scope: 'user',
    stopTimeoutSec: 120,
    ...overrides,
  };
}

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('the systemd unit', () => {
  it('matches its fixtures, --user and --system', () => {
    const root = `/srv/${AWKWARD}`;
    expect(renderSystemdUnit(specIn(root))).toBe(fixture('user.service'));
    expect(renderSystemdUnit(specIn(root, { scope: 'system', account: { user: 'ann', group: 'staff' } }))).toBe(fixture('system.service'));
  });

  it('passes systemd-analyze verify, its program found at a path that needs every escape (run where the tool exists)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stack-boot-'));
    dirs.push(dir);
    const root = join(dir, AWKWARD);
    mkdirSync(root);
    // verify checks that ExecStart's program exists: here it does only if the path came through the quoting unchanged.
    // (systemd takes no quote or backslash in a program's path: unfitForProgram refuses those.)
    const nodeDir = join(dir, 'node %h $HOME & 20');
    mkdirSync(nodeDir);
    symlinkSync(process.execPath, join(nodeDir, 'node'));
    const program = [join(nodeDir, 'node'), join(root, 'stack.cjs')];
    expect(unfitForProgram(program[0] as string)).toBeUndefined();
    const units = {
      'stack-user.service': renderSystemdUnit(specIn(root, { program })),
      'stack-system.service': renderSystemdUnit(specIn(root, { program, scope: 'system', account: { user: 'root', group: 'root' } })),
    };
    for (const [name, text] of Object.entries(units)) writeFileSync(join(dir, name), text);
    // Read back, the comment names the stack file whatever its characters.
    for (const text of Object.values(units)) expect(stackFileOfUnit(text)).toBe(join(root, 'stack.yaml'));
    if (missingBinaries(['systemd-analyze']).length > 0) {
      console.warn('systemd-analyze is not installed: the units were checked against their fixtures only');
      return;
    }
    const runtime = join(dir, 'runtime');
    mkdirSync(runtime, { mode: 0o700 });
    for (const [name, user] of [['stack-system.service', []], ['stack-user.service', ['--user']]] as const) {
      const result = spawnSync('systemd-analyze', [...user, 'verify', join(dir, name)], { encoding: 'utf8', env: { ...process.env, XDG_RUNTIME_DIR: runtime } });
      expect(`${result.stdout}${result.stderr}`, name).toBe('');
      expect(result.status, name).toBe(0);
    }
    // And it can fail: a `%h` left unescaped becomes the home folder, and the program is not found.
    writeFileSync(join(dir, 'stack-bad.service'), units['stack-system.service'].replace('node %%h', 'node %h'));
    const bad = spawnSync('systemd-analyze', ['verify', join(dir, 'stack-bad.service')], { encoding: 'utf8' });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('is not executable');
  });

  it('names one unit per project, made fit for systemd', () => {
    expect(bootUnitName('web-app')).toBe('stack-web-app.service');
    expect(bootUnitName('My App/2')).toBe('stack-My-App-2.service');
    expect(bootLabelOf('..')).toBe('stack');
    expect(launchdLabel('web app')).toBe('dev.stack.web-app');
  });

  it('goes where systemd looks: XDG_CONFIG_HOME when set (absolute), else ~/.config; /etc for the system', () => {
    expect(systemdUnitDir('user', '/home/ann')).toBe('/home/ann/.config/systemd/user');
    expect(systemdUnitDir('user', '/home/ann', '/cfg')).toBe('/cfg/systemd/user');
    expect(systemdUnitDir('user', '/home/ann', 'relative')).toBe('/home/ann/.config/systemd/user');
    expect(systemdUnitDir('system', '/home/ann')).toBe('/etc/systemd/system');
  });

  it('refuses a program path systemd would not run', () => {
    expect(unfitForProgram('/opt/node "20"/bin/node')).toMatch(/quote, a backslash/);
    expect(unfitForProgram('/opt/node\\20/node')).toMatch(/quote, a backslash/);
    expect(unfitForProgram('/opt/node 20 %h $x/node')).toBeUndefined();
  });

  it('refuses a path that would break its line', () => {
    expect(unfitForUnit('/srv/a\nb')).toBe('it contains a line break');
    expect(unfitForUnit('/srv/a\\')).toBe('it ends with a backslash');
    expect(unfitForUnit(`/srv/${AWKWARD}`)).toBeUndefined();
  });
});

describe('the launchd job', () => {
  it('matches its fixture', () => {
    expect(renderLaunchdPlist(specIn(`/Users/ann/${AWKWARD}`), '/Users/ann/Library/Logs/stack-web-app.log')).toBe(fixture('dev.stack.web-app.plist'));
  });

  it('is a property list whose values are exactly the paths (read by plistlib where python3 exists)', () => {
    const root = `/Users/ann/${AWKWARD}`;
    const text = renderLaunchdPlist(specIn(root), '/log');
    expect(stackFileOfPlist(text)).toBe(`${root}/stack.yaml`);
    if (missingBinaries(['python3']).length > 0) {
      console.warn('python3 is not installed: the plist was checked against its fixture only');
      return;
    }
    const read = spawnSync('python3', ['-c', 'import json, plistlib, sys; print(json.dumps(plistlib.loads(sys.stdin.buffer.read())))'], { input: text, encoding: 'utf8' });
    expect(read.stderr).toBe('');
    expect(JSON.parse(read.stdout)).toEqual({
      Label: 'dev.stack.web-app',
      ProgramArguments: ['/opt/node 20/bin/node', `${root}/node_modules/.bin/stack.cjs`, 'watch', '-f', `${root}/stack.yaml`],
      WorkingDirectory: root,
      EnvironmentVariables: { PATH: '/home/ann/.nvm/versions/node/v20.11.0/bin:/usr/bin:/bin' },
      RunAtLoad: true,
      KeepAlive: { SuccessfulExit: false },
      ExitTimeOut: 120,
      StandardOutPath: '/log',
      StandardErrorPath: '/log',
    });
  });
});
