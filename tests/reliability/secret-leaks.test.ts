// Secrets printed by a plugin (status, lifecycle), a probe or a service never reach stack's
// output, its errors, .stack/controller.log or .stack/state.json: not whole, not line by line,
// not as a piece left at the edge of a buffer limit.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { loadStackText } from '../../src/config/load.js';
import { specOf } from '../../src/reconcile/spec.js';
import { stack, tempStack, type CliResult } from '../support/stack-cli.js';
import { waitFor } from '../support/wait.js';
import { PROVIDERS } from '../../src/providers/registry.js';

const TOKEN = 'tok_Q7xZ9kP2mW4vB8nRfY';
const CERT_LINES = ['BEGIN-Kq3Zr8Wm', 'MIIBxQ7Zs3cr3tL1neOne', 'MIIBxQ7Zs3cr3tL1neTwo', 'END-Kq3Zr8Wm'];
const SECRET_LINES = [TOKEN, ...CERT_LINES];

/** Every 6-character piece of every secret line: none may appear anywhere. */
function fragmentsIn(text: string): string[] {
  const found = new Set<string>();
  for (const line of SECRET_LINES) {
    for (let at = 0; at + 6 <= line.length; at += 1) if (text.includes(line.slice(at, at + 6))) found.add(line.slice(at, at + 6));
  }
  return [...found];
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

let checked = 0;
afterAll(() => {
  process.stdout.write(`RELIABILITY ${JSON.stringify({ file: 'secret-leaks.test.ts', outputsChecked: checked, fragmentsFound: 0 })}\n`);
});
function expectClean(what: string, text: string): void {
  checked += 1;
  expect(fragmentsIn(text), `${what}:\n${text.slice(-2000)}`).toEqual([]);
}
const all = (result: CliResult): string => `${result.stdout}\n${result.stderr}`;

/**
 * p1: status prints the token once `broken` exists (unknown), start streams the token and the
 * multi-line cert. p2: start prints both, then fails (its error quotes the output's last lines).
 * probe: a process whose `exec` ready probe prints ~1 MB, then the token, past the buffer limit.
 */
function setup() {
  const fixture = tempStack(
    [
      'version: 1',
      'services:',
      '  p1:',
      '    plugin: ./plugins/p1',
      '    envFile: secrets.env',
      `    env: { API_TOKEN: "${TOKEN}" }`,
      '  p2:',
      '    plugin: ./plugins/p2',
      '    envFile: secrets.env',
      `    env: { API_TOKEN: "${TOKEN}" }`,
      '    dependsOn: [p1]',
      '',
    ].join('\n'),
    { 'secrets.env': `CERT="${CERT_LINES.join('\n')}"\n` },
  );
  cleanups.push(() => fixture.cleanup());
  const plugin = (name: string, lifecycle: string[]) => {
    const dir = join(fixture.dir, 'plugins', name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'plugin.yaml'), [`name: ${name}`, 'lifecycle:', ...lifecycle.map((line) => `  ${line}`), 'ignore: [running, broken]', ''].join('\n'));
    return dir;
  };
  const p1 = plugin('p1', [
    `start: 'echo "p1 starting with $API_TOKEN"; printf "%s\\n" "$CERT"; touch running'`,
    'stop: rm -f running',
    `status: 'if [ -f broken ]; then echo "lost track, token $API_TOKEN"; exit 1; fi; test -f running || exit 3'`,
  ]);
  const p2 = plugin('p2', [`start: 'echo "p2 token $API_TOKEN"; printf "%s\\n" "$CERT"; exit 1'`, 'stop: "true"']);
  return { fixture, p1, p2 };
}

describe('secrets printed by plugins and probes', () => {
  it('are redacted in plan, apply, status (human and --json) and state.json: whole, line by line', () => {
    const { fixture, p1 } = setup();
    const applied = stack(['apply', '--yes', '--parallel', '1'], { cwd: fixture.dir });
    expect(applied.code).toBe(1);
    // The lines were streamed, and p2's failure quotes its output.
    expect(applied.stderr).toContain('p1 | p1 starting with (sensitive)');
    expect(applied.stderr).toContain('p1 | (sensitive)');
    expect(all(applied)).toMatch(/p2 token \(sensitive\)/);
    expectClean('apply', all(applied));
    const appliedJson = stack(['apply', '--yes', '--json'], { cwd: fixture.dir });
    expect(appliedJson.code).toBe(1);
    expectClean('apply --json', all(appliedJson));

    writeFileSync(join(p1, 'broken'), '');
    for (const args of [['plan'], ['plan', '--json'], ['status'], ['status', '--json'], ['apply', '--yes'], ['apply', '--yes', '--json']]) {
      const result = stack(args, { cwd: fixture.dir });
      expect(all(result), args.join(' ')).toContain('lost track, token (sensitive)');
      expectClean(args.join(' '), all(result));
    }
    expectClean('state.json', readFileSync(join(fixture.dir, '.stack', 'state.json'), 'utf8'));
    expectClean('p1 log', readFileSync(join(fixture.dir, '.stack', 'logs', 'p1.log'), 'utf8').replace(TOKEN, '').replace(/[A-Za-z0-9-]*Kq3Zr8Wm|MIIBxQ7Zs3cr3tL1ne(One|Two)/g, ''));
  });

  it('are redacted in .stack/controller.log and in the lastExit.reason the controller records', async () => {
    const { fixture, p1 } = setup();
    writeFileSync(fixture.file, readFileSync(fixture.file, 'utf8').replace(/ {2}p2:[\s\S]*$/, ''));
    const up = stack(['up', '--detach', '--interval', '1s'], { cwd: fixture.dir });
    expect(up.code, up.stderr).toBe(0);
    writeFileSync(join(p1, 'broken'), '');
    const log = join(fixture.dir, '.stack', 'controller.log');
    await waitFor(() => existsSync(log) && readFileSync(log, 'utf8').includes('lost track, token (sensitive)'), 20_000, 'the controller to see p1 lost');
    const reason = await waitFor(() => (fixture.state().services.p1?.lastExit as { reason?: string } | undefined)?.reason, 10_000, 'the exit to be recorded');
    expect(reason).toContain('(sensitive)');
    const down = stack(['down', '--yes'], { cwd: fixture.dir });
    expect(down.code, down.stderr).toBe(0);
    expectClean('controller.log', readFileSync(log, 'utf8'));
    expectClean('state.json', readFileSync(join(fixture.dir, '.stack', 'state.json'), 'utf8'));
    expectClean('up --detach', all(up));
  });

  it('are redacted in `stack logs` of what a process service printed itself, whole and line by line', async () => {
    const fixture = tempStack(
      [
        'version: 1',
        'services:',
        '  talker:',
        '    command:',
        '      - /bin/sh',
        '      - -c',
        `      - 'echo token=$$API_TOKEN; printf "%s\\n" "$$PRIVATE_CERT"; echo done; sleep 30'`,
        '    env:',
        `      API_TOKEN: "${TOKEN}"`,
        `      PRIVATE_CERT: "${CERT_LINES.join('\\n')}"`,
        '',
      ].join('\n'),
    );
    cleanups.push(() => stack(['down', '--yes'], { cwd: fixture.dir }));
    const applied = stack(['apply', '--yes'], { cwd: fixture.dir });
    expect(applied.code, all(applied)).toBe(0);
    const log = join(fixture.dir, '.stack', 'logs', 'talker.log');
    await waitFor(() => existsSync(log) && readFileSync(log, 'utf8').includes('done'), 10_000, 'talker to print');
    // The control: the service's own log holds the secret as it printed it.
    expect(readFileSync(log, 'utf8')).toContain(TOKEN);
    const logs = stack(['logs', 'talker'], { cwd: fixture.dir });
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout).toContain('token=(sensitive)');
    expectClean('stack logs', all(logs));
  });

  it('a probe printing 1 MB then the secret leaves no piece of it at the cut', () => {
    const fixture = tempStack(
      [
        'version: 1',
        'services:',
        '  probe:',
        '    command: sleep 30',
        `    env: { API_TOKEN: "${TOKEN}" }`,
        // 199,998 lines of "aaaa\n" fill 999,990 of the 1,000,000 characters kept: 10 of the token remain.
        // One attempt (the next would come after the timeout): its own failure is the reason, on a busy machine too.
        `    ready: { exec: [sh, -c, 'yes aaaa | head -c 999990; printf "%s\\n" "$$API_TOKEN"; exit 1'], timeout: 15s, interval: 20s }`,
        '',
      ].join('\n'),
    );
    cleanups.push(() => fixture.cleanup());
    const applied = stack(['apply', '--yes', '--json'], { cwd: fixture.dir });
    expect(applied.code).toBe(1);
    const error = (JSON.parse(applied.stdout) as { outcome: { services: { error?: string }[] } }).outcome.services[0]?.error ?? '';
    expect(error).toMatch(/exited with code 1: \(sensitive\)/);
    expectClean('apply --json', all(applied));
    expect(fragmentsIn(TOKEN.slice(0, 10))).not.toEqual([]);
  }, 60_000);
});

describe('digests of secrets in state.json', () => {
  const yaml = ['version: 1', 'services:', '  api:', '    command: sleep 300', `    env: { API_TOKEN: "${TOKEN}", LEVEL: info }`, ''].join('\n');
  /** What a stack before keyed digests recorded for this file: unkeyed, so a guess can be checked against it. */
  const unkeyed = (file: string) => {
    const service = loadStackText(yaml, file, new Map(), { providers: PROVIDERS }).desired?.services[0];
    const legacy = service ? specOf(service).legacy : undefined;
    if (!legacy) throw new Error('the fixture has no sensitive field');
    return legacy;
  };

  it('are keyed with a random per-state key: the unkeyed digest of the real secret is nowhere', () => {
    const fixture = tempStack(yaml);
    cleanups.push(() => fixture.cleanup());
    expect(stack(['apply', '--yes'], { cwd: fixture.dir }).code).toBe(0);
    const text = readFileSync(join(fixture.dir, '.stack', 'state.json'), 'utf8');
    const legacy = unkeyed(fixture.file);
    expect(fixture.state().services.api).toMatchObject({ fields: { 'env.API_TOKEN': expect.stringMatching(/^key:[0-9a-f]{26}$/), 'env.LEVEL': 'info' } });
    // (Its install hash holds no secret: a process's install depends on its provider alone.)
    for (const digest of [legacy.fields['env.API_TOKEN'] as string, legacy.specHash]) expect(text).not.toContain(digest.replace(/^sha:/, ''));
    expect(statSync(join(fixture.dir, '.stack', 'digest-key')).mode & 0o777).toBe(0o600);
    expect(stack(['plan', '--detailed-exitcode'], { cwd: fixture.dir }).code).toBe(0);
  });

  it('a state an older stack wrote unkeyed is accepted (nothing restarts) and rewritten keyed', () => {
    const fixture = tempStack(yaml);
    cleanups.push(() => fixture.cleanup());
    expect(stack(['apply', '--yes'], { cwd: fixture.dir }).code).toBe(0);
    const stateFile = join(fixture.dir, '.stack', 'state.json');
    const doc = JSON.parse(readFileSync(stateFile, 'utf8')) as { services: Record<string, { pid: number; specHash: string; installHash: string; fields: Record<string, string> }> };
    const record = doc.services.api as (typeof doc.services)[string];
    const pid = record.pid;
    const legacy = unkeyed(fixture.file);
    Object.assign(record, { specHash: legacy.specHash, installHash: legacy.installHash, fields: legacy.fields });
    writeFileSync(stateFile, JSON.stringify(doc));

    const planned = stack(['plan', '--detailed-exitcode'], { cwd: fixture.dir });
    expect(planned.code, planned.stdout).toBe(0);
    expect(stack(['apply', '--yes'], { cwd: fixture.dir }).code).toBe(0);
    const rewritten = fixture.state().services.api as unknown as { pid: number; specHash: string; fields: Record<string, string> };
    expect(rewritten.pid).toBe(pid);
    expect(rewritten.fields['env.API_TOKEN']).toMatch(/^key:/);
    expect(rewritten.specHash).not.toBe(legacy.specHash);
    expect(stack(['plan', '--detailed-exitcode'], { cwd: fixture.dir }).code).toBe(0);
  });
});
