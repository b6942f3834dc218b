import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { processesWith, scratchStacks, stack, STACK_BIN, waitFor } from '../support/stack-cli.js';
import { uniqueMarker } from '../support/marker.js';

const { scratch, children } = scratchStacks();

const marker = uniqueMarker;

/** A process that is not ours, listening on a fresh port; resolves once it listens. */
async function foreignListener(): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['-e', "const s=require('net').createServer().listen(0,'127.0.0.1',()=>console.log(s.address().port));setInterval(()=>{},1000)"], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  let out = '';
  child.stdout?.on('data', (chunk) => (out += chunk));
  const port = await waitFor(() => (out.includes('\n') ? Number(out.trim()) : undefined), 10_000, 'the foreign listener');
  return { child, port };
}

describe('ports held by another process', () => {
  it('apply blocks the service and its dependents, starts the rest, exits 1', async () => {
    const { child, port } = await foreignListener();
    const m = marker();
    const s = scratch(`version: 1\nservices:\n  db:\n    command: sleep ${m}\n    ports: [${port}]\n  web:\n    command: sleep ${m}\n    dependsOn: [db]\n  other:\n    command: [sleep, "${m}"]\n`);
    const result = stack(['apply', '--yes', '-f', s.file]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`! db     port ${port} is in use by pid ${child.pid} (`);
    expect(result.stdout).toContain('! web    dependency db is blocked');
    expect(result.stdout).toContain('2 blocked');
    expect(Object.keys(s.state().services)).toEqual(['other']);
    expect(processesWith(`sleep ${m}`)).toHaveLength(1);

    // Listened on, but not by db: the port is not db's, and status names who holds it.
    const status = JSON.parse(stack(['status', '--json', '-f', s.file]).stdout) as { services: { name: string; ports: number[]; portsOpen?: boolean[] }[] };
    expect(status.services.find((row) => row.name === 'db')).toMatchObject({ ports: [port], portsOpen: [false], portOwners: [{ port, holder: 'other', pid: child.pid }] });
    expect(stack(['status', '-f', s.file]).stdout).toContain(`${port}✗(pid ${child.pid})`);

    const plan = JSON.parse(stack(['plan', '--json', '-f', s.file]).stdout) as { blocked: { service: string; kind: string }[] };
    expect(plan.blocked.map((entry) => [entry.service, entry.kind])).toEqual([['db', 'port-conflict'], ['web', 'dependency']]);
  });
});

describe('stack check', () => {
  it('passes on a good stack (exit 0)', () => {
    const s = scratch('version: 1\nservices:\n  a:\n    command: [node, app.js]\n  b:\n    command: "echo hi && sleep 1"\n    shell: true\n');
    const result = stack(['check', '-f', s.file]);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('✓ executable  a: node → ');
    expect(result.stdout).toContain('✓ executable  b: /bin/sh');
    expect(result.stdout).toMatch(/All \d+ checks passed\./);
    expect(result.code).toBe(0);
  });

  it('says how process services start, and that the fallback is no failure', () => {
    const s = scratch('version: 1\nservices:\n  a:\n    command: [node, app.js]\n');
    expect(stack(['check', '-f', s.file]).stdout).toContain('✓ spawner     services start through posix_spawn (native addon)');
    const fallback = stack(['check', '-f', s.file], { env: { STACK_NATIVE_SPAWN: '0' } });
    expect(fallback.stdout).toContain('✓ spawner     services start through node:child_process (STACK_NATIVE_SPAWN=0)');
    expect(fallback.code).toBe(0);
    // An install whose build of the addon failed: the same CLI without native/.
    const copy = mkdtempSync(join(tmpdir(), 'stack-no-addon-'));
    try {
      cpSync(join(STACK_BIN, '..', '..', 'bin'), join(copy, 'bin'), { recursive: true });
      cpSync(join(STACK_BIN, '..', '..', 'dist', 'cli.cjs'), join(copy, 'dist', 'cli.cjs'));
      const bare = spawnSync(process.execPath, [join(copy, 'bin', 'stack.cjs'), 'check', '-f', s.file], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
      expect(bare.stdout).toContain('✓ spawner     services start through node:child_process (the native addon is not built: native/build/Release/stack_spawn.node needs g++, make and python3 when stack is installed)');
      expect(bare.status).toBe(0);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
    // No enabled process service, nothing to say about starting processes.
    const none = scratch('version: 1\nservices:\n  a:\n    command: [node, app.js]\n    enabled: false\n');
    expect(stack(['check', '-f', none.file]).stdout).not.toContain('spawner');
  });

  it('fails naming the service and the missing executable (exit 1), also as JSON', () => {
    const s = scratch('version: 1\nservices:\n  a:\n    command: [node, app.js]\n  worker:\n    command: no-such-program-xyz --flag\n  local:\n    command: ./bin/run\n');
    const result = stack(['check', '-f', s.file]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('✗ executable  worker: executable "no-such-program-xyz" not found on PATH');
    expect(result.stdout).toContain(`✗ executable  local: executable "./bin/run" not found at ${s.dir}/bin/run`);
    expect(result.stdout).toContain('2 of ');
    const json = JSON.parse(stack(['check', '--json', '-f', s.file]).stdout) as { ok: boolean; checks: { check: string; ok: boolean; detail: string }[] };
    expect(json.ok).toBe(false);
    expect(json.checks.filter((entry) => !entry.ok).map((entry) => entry.detail)).toEqual([
      'worker: executable "no-such-program-xyz" not found on PATH',
      `local: executable "./bin/run" not found at ${s.dir}/bin/run`,
    ]);
  });

  it('reports a missing required variable and a port held by a foreign process without hiding the rest', async () => {
    const { child, port } = await foreignListener();
    const s = scratch(`version: 1\nservices:\n  a:\n    command: [node, "\${ENTRY:?set ENTRY}"]\n    ports: [${port}]\n`);
    const result = stack(['check', '-f', s.file], { env: { ENTRY: '' } });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('variable ENTRY is required by service "a" but is not set: set ENTRY');
    expect(result.stdout).toContain(`✗ port        a: port ${port} is in use by pid ${child.pid}`);
    expect(result.stdout).toContain('✓ executable  a: node');
  });
});

describe('what can be known without starting anything', () => {
  it('validate, check and apply report a missing cwd and env file, an unknown dependency and NUL characters in one run; nothing starts', () => {
    const m = marker();
    const s = scratch(
      `version: 1\nservices:\n  a:\n    command: [sleep, "${m}"]\n    cwd: ./nope\n    envFile: ./missing.env\n    dependsOn: [ghost]\n  b:\n    command: [echo, "x\\0y"]\n    env:\n      K: "v\\0w"\n  c:\n    command: sleep ${m}\n`,
    );
    const expected = [
      'stack.yaml:5:5: services.a.cwd: working folder ./nope does not exist',
      'stack.yaml:6:5: services.a.envFile: env file ./missing.env not found',
      'stack.yaml:7:17: services.a.dependsOn[0]: service "a" depends on "ghost", which is not a service in this file',
      'stack.yaml:9:21: services.b.command[1]: argument 2 of command holds a NUL character ("\\0"), which no process can receive',
      'stack.yaml:11:7: services.b.env.K: the value of K holds a NUL character ("\\0"), which no process can receive',
    ];
    for (const command of [['validate'], ['check'], ['apply', '--yes']]) {
      const result = stack([...command, '-f', s.file]);
      expect(result.code, `${command[0]}: ${result.stderr}`).toBe(5);
      expect(result.stderr).toContain('is not valid (5 problems)');
      for (const line of expected) expect(result.stderr, command[0]).toContain(line);
    }
    const json = JSON.parse(stack(['validate', '--json', '-f', s.file]).stderr) as { error: { issues: { path: string }[] } };
    expect(json.error.issues.map((issue) => issue.path)).toEqual(['services.a.cwd', 'services.a.envFile', 'services.a.dependsOn[0]', 'services.b.command[1]', 'services.b.env.K']);
    expect(processesWith(`sleep ${m}`)).toEqual([]);
  });
});

describe('secrets', () => {
  it('never appear in plan, status, --verbose lines or errors, yet a changed secret restarts', () => {
    const m = marker();
    const secret = 'Xk8-secret-value-QZ';
    const s = scratch(`version: 1\nservices:\n  api:\n    command: [node, -e, "setInterval(() => {}, 1000)", "${m}", "\${API_TOKEN}"]\n    env: { AUTH: "\${API_TOKEN}", FROM_DOTENV: "\${DOTENV_VALUE}" }\n`, {
      '.env': 'DOTENV_VALUE=dotenv-secret-777\n',
    });
    const env = { API_TOKEN: secret };
    const first = stack(['--verbose', 'apply', '--yes', '-f', s.file], { env });
    expect(first.code).toBe(0);
    expect(first.stderr).toContain(`$ node -e 'setInterval(() => {}, 1000)' ${m} (sensitive)`);
    for (const text of [first.stdout, first.stderr]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain('dotenv-secret-777');
    }
    const changed = stack(['plan', '-f', s.file], { env: { API_TOKEN: 'Yk9-other-secret-RR' } });
    expect(changed.stderr).toBe('');
    expect(changed.stdout).toContain('spec changed: command (sensitive), env.AUTH (sensitive)');
    expect(changed.stdout).not.toContain('Yk9-other-secret-RR');
    expect(changed.stdout).not.toContain(secret);
    const json = stack(['plan', '--json', '-f', s.file], { env: { API_TOKEN: 'Yk9-other-secret-RR' } });
    expect(json.stdout).not.toContain('Yk9-other-secret-RR');
    const status = stack(['status', '--json', '-f', s.file], { env });
    expect(status.stdout).not.toContain(secret);
    expect(s.state().services.api).toBeDefined();
    expect(JSON.stringify(s.state())).not.toContain(secret);
  });
});
