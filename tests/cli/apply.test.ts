import { afterEach, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive, processesWith, spawnCli, stack, STACK_BIN, stackAsync, tempStack, waitFor } from '../support/stack-cli.js';
import { uniqueMarker } from '../support/marker.js';

const made: ReturnType<typeof tempStack>[] = [];
function scratch(yaml: string, files: Record<string, string> = {}) {
  const created = tempStack(yaml, files);
  made.push(created);
  return created;
}
afterEach(() => {
  for (const created of made.splice(0)) {
    stack(['down', '--yes', '-f', created.file]);
    created.cleanup();
  }
});

const marker = uniqueMarker;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const pidsOf = (s: ReturnType<typeof tempStack>) => Object.fromEntries(Object.entries(s.state().services).map(([name, record]) => [name, record.pid]));

describe('stack apply on real processes', () => {
  it('with its output piped into `head -1`, apply and down still finish, record every run and free the lock', () => {
    const m = marker();
    const names = Array.from({ length: 12 }, (_, i) => `s${i}`);
    const s = scratch(`version: 1\nservices:\n${names.map((name) => `  ${name}:\n    command: [sleep, "${m}"]\n`).join('')}`);
    // head exits after the first line; every later write of stack's fails with EPIPE.
    const piped = (verb: string) =>
      spawnSync('bash', ['-c', `set -o pipefail; "${process.execPath}" "${STACK_BIN}" ${verb} --yes -f "${s.file}" 2>&1 | head -1`], { encoding: 'utf8', timeout: 60_000 });
    const applied = piped('apply');
    expect(applied.status).toBe(0);
    expect(applied.stdout.split('\n').length).toBe(2);
    const pids = pidsOf(s);
    expect(Object.keys(pids).sort()).toEqual([...names].sort());
    for (const pid of Object.values(pids)) expect(isAlive(pid as number)).toBe(true);
    expect(existsSync(join(s.dir, '.stack', 'lock'))).toBe(false);
    expect(piped('down').status).toBe(0);
    expect(Object.values(pidsOf(s)).filter((pid) => pid !== undefined)).toEqual([]);
    expect(processesWith(m)).toEqual([]);
    expect(existsSync(join(s.dir, '.stack', 'lock'))).toBe(false);
  });

  it('starts services, is idempotent, and down stops them', () => {
    const m = marker();
    const s = scratch(`version: 1\nservices:\n  a:\n    command: sleep ${m}\n  b:\n    command: [sleep, "${m}"]\n    dependsOn: [a]\n`);
    const first = stack(['apply', '--yes', '-f', s.file]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(processesWith(`sleep ${m}`)).toHaveLength(2);
    const pids = pidsOf(s);

    const second = stack(['apply', '--yes', '-f', s.file]);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('No changes. 2 services match stack.yaml.');
    expect(pidsOf(s)).toEqual(pids);

    const status = JSON.parse(stack(['status', '--json', '-f', s.file]).stdout) as { services: { name: string; observed: string; pid: number }[] };
    expect(status.services.map((row) => [row.name, row.observed, row.pid])).toEqual([
      ['a', 'running', pids.a],
      ['b', 'running', pids.b],
    ]);

    expect(stack(['down', '--yes', '-f', s.file]).code).toBe(0);
    expect(processesWith(`sleep ${m}`)).toHaveLength(0);
  });

  it('down begins the stops of independent services together whatever -p says; dependents still stop first, and -p 1 stops one at a time', () => {
    // Each service, told to stop, writes "term <name>", takes a moment, writes "gone <name>" and exits.
    // $$: the program's own $NAME, not stack.yaml's interpolation.
    const script = `trap 'echo "term $$NAME" >> stops.log; sleep 0.3; echo "gone $$NAME" >> stops.log; exit 0' TERM; while :; do sleep 1; done`;
    const service = (name: string, extra = '') => `  ${name}:\n    command: ["bash", "-c", ${JSON.stringify(script)}]\n    env: { NAME: ${name} }\n${extra}`;
    const s = scratch(`version: 1\nservices:\n${['a', 'b', 'c', 'd', 'e'].map((name) => service(name)).join('')}${service('top', '    dependsOn: [a]\n')}`);
    const lines = () => readFileSync(join(s.dir, 'stops.log'), 'utf8').trim().split('\n');
    expect(stack(['apply', '--yes', '-f', s.file]).code).toBe(0);
    expect(stack(['down', '--yes', '-p', '2', '-f', s.file]).code).toBe(0);
    const log = lines();
    // top depends on a: it is gone before a is told to stop.
    expect(log.indexOf('gone top')).toBeLessThan(log.indexOf('term a'));
    // b, c, d and e depend on nothing: all four were told before any of them was gone, beyond -p 2.
    const firstGone = log.findIndex((line) => line.startsWith('gone') && line !== 'gone top');
    expect(log.slice(0, firstGone).filter((line) => /^term [b-e]$/.test(line))).toHaveLength(4);

    rmSync(join(s.dir, 'stops.log'));
    expect(stack(['apply', '--yes', '-f', s.file]).code).toBe(0);
    expect(stack(['down', '--yes', '-p', '1', '-f', s.file]).code).toBe(0);
    // One at a time: every term is followed by its own gone.
    const strict = lines();
    for (let at = 0; at < strict.length; at += 2) expect(strict[at + 1]).toBe(strict[at]?.replace('term', 'gone'));
  });

  it('starts a dependent only once its dependency accepts connections', async () => {
    const port = await freePort();
    const s = scratch(
      `version: 1\nservices:\n  db:\n    command: [node, db.js]\n    ready: { tcp: ${port}, timeout: 10s }\n  web:\n    command: [node, web.js]\n    dependsOn: [db]\n`,
      {
        'db.js': `setTimeout(() => require('net').createServer().listen(${port}, '127.0.0.1'), 400);`,
        'web.js': `const s = require('net').connect(${port}, '127.0.0.1');
s.on('connect', () => { require('fs').writeFileSync('web-saw', 'accepting'); setInterval(() => {}, 1000); });
s.on('error', (e) => { require('fs').writeFileSync('web-saw', e.code); setInterval(() => {}, 1000); });`,
      },
    );
    const result = stack(['apply', '--yes', '-f', s.file]);
    expect(result.code).toBe(0);
    const saw = await waitFor(() => { try { return readFileSync(join(s.dir, 'web-saw'), 'utf8'); } catch { return undefined; } }, 10_000, 'web to record what it saw');
    expect(saw).toBe('accepting');
  });

  it('an env change restarts only that service', () => {
    const m = marker();
    const yaml = (level: string) => `version: 1\nservices:\n  a:\n    command: sleep ${m}\n  b:\n    command: sleep ${m}\n    env: { LOG_LEVEL: ${level} }\n`;
    const s = scratch(yaml('info'));
    expect(stack(['apply', '--yes', '-f', s.file]).code).toBe(0);
    const before = pidsOf(s);
    s.write(yaml('debug'));
    const plan = JSON.parse(stack(['plan', '--json', '-f', s.file]).stdout) as { actions: { service: string; op: string; reason: string }[] };
    expect(plan.actions.map((action) => `${action.op} ${action.service}`)).toEqual(['stop b', 'start b']);
    expect(plan.actions[0]?.reason).toContain('env.LOG_LEVEL');
    expect(stack(['apply', '--yes', '-f', s.file]).code).toBe(0);
    const after = pidsOf(s);
    expect(after.a).toBe(before.a);
    expect(after.b).not.toBe(before.b);
    expect(processesWith(`sleep ${m}`)).toHaveLength(2);
  });

  it("down kills a service's grandchildren", async () => {
    const m = marker();
    const s = scratch(`version: 1\nservices:\n  forks:\n    command: "sleep ${m} & sleep ${m} & wait"\n    shell: true\n`);
    expect(stack(['apply', '--yes', '-f', s.file]).code).toBe(0);
    const sleeps = () => processesWith(`sleep ${m}`).filter((proc) => proc.cmdline.startsWith('sleep '));
    await waitFor(() => sleeps().length === 2, 5000, 'both grandchildren');
    expect(stack(['down', '--yes', '-f', s.file]).code).toBe(0);
    expect(processesWith(`sleep ${m}`)).toHaveLength(0);
  });

  it('a stop that needed SIGKILL says so, in the progress line and in the JSON outcome', () => {
    const m = marker();
    const s = scratch(
      `version: 1\nservices:\n  stubborn:\n    command: [sh, -c, "trap '' TERM; sleep ${m}"]\n    stop: { timeout: 300ms }\n  plain:\n    command: sleep ${m}\n`,
    );
    expect(stack(['apply', '--yes', '-f', s.file]).code).toBe(0);
    const down = stack(['down', '--yes', '--json', '-f', s.file]);
    expect(down.code, down.stderr).toBe(0);
    const services = JSON.parse(down.stdout).outcome.services as { service: string; status: string; note?: string }[];
    expect(services.find((entry) => entry.service === 'stubborn')).toMatchObject({ status: 'done', note: 'it did not stop within 300ms of SIGTERM: killed with SIGKILL' });
    expect(services.find((entry) => entry.service === 'plain')?.note).toBeUndefined();
    expect(processesWith(m)).toEqual([]);
    expect(stack(['apply', '--yes', '-f', s.file]).code).toBe(0);
    const human = stack(['down', '--yes', '-f', s.file]);
    expect(human.stdout).toMatch(/✓ stubborn stopped \(\d+ms\): it did not stop within 300ms of SIGTERM: killed with SIGKILL\n/);
    expect(human.stdout).toMatch(/✓ plain stopped \(\d+ms\)\n/);
  });

  it('down of named services stops only them; of one not running it says so', () => {
    const m = marker();
    const s = scratch(`version: 1\nservices:\n  a:\n    command: sleep ${m}\n  b:\n    command: sleep ${m}\n`);
    expect(stack(['apply', '--yes', '-f', s.file]).code).toBe(0);
    expect(stack(['down', '--yes', '-f', s.file, 'a']).code).toBe(0);
    expect(processesWith(`sleep ${m}`)).toHaveLength(1);
    const again = stack(['down', '--yes', '-f', s.file, 'a']);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe('Nothing to stop: a is not running.\n');
    expect(processesWith(`sleep ${m}`)).toHaveLength(1);
  });

  it('down of a stack.yaml that no longer loads stops what the state records, and says so', () => {
    const m = marker();
    const s = scratch(`version: 1\nservices:\n  a:\n    command: sleep ${m}\n  b:\n    command: sleep ${m}\n    dependsOn: [a]\n`);
    expect(stack(['apply', '--yes', '-f', s.file]).code).toBe(0);
    writeFileSync(s.file, `${readFileSync(s.file, 'utf8')}  broken: [\n`);
    const down = stack(['down', '--yes', '-f', s.file]);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stderr).toMatch(/^warning: .*stack\.yaml is not valid/m);
    expect(down.stderr).toMatch(/stack\.yaml:\d+:\d+: invalid YAML/);
    expect(down.stderr).toContain('state.json records instead');
    expect(down.stdout).toMatch(/- b +stop[^]*- a +stop/);
    expect(processesWith(`sleep ${m}`)).toHaveLength(0);
    // Without a state to go by, the file's errors are all there is.
    rmSync(join(s.dir, '.stack'), { recursive: true });
    expect(stack(['down', '--yes', '-f', s.file]).code).toBe(5);
  });

  it('down of a stack.yaml that no longer loads stops each service as the file last said: its signal, dependents first', () => {
    const m = marker();
    const s = scratch(`version: 1\nservices:\n  b:\n    command: sleep ${m}\n`);
    expect(stack(['apply', '--yes', '-f', s.file]).code).toBe(0);
    // a is recorded after b, and b depends on it only from now on: an edit that restarts nothing.
    // a ignores SIGTERM (its sleeps too) and leaves on SIGINT, as its stop says.
    const got = join(s.dir, 'got-signal');
    const a = `trap '' TERM; trap 'echo INT > ${got}; exit 0' INT; while :; do sleep ${m}; done`;
    writeFileSync(s.file, `version: 1\nservices:\n  b:\n    command: sleep ${m}\n    dependsOn: [a]\n  a:\n    command: "${a}"\n    shell: true\n    stop: { signal: SIGINT, timeout: 20s }\n`);
    expect(stack(['apply', '--yes', '-f', s.file]).stdout).toMatch(/\+ a +start/);
    expect(s.state().services.b).toMatchObject({ dependsOn: ['a'], stop: { signal: 'SIGTERM', timeoutMs: 10_000 } });
    expect(s.state().services.a).toMatchObject({ dependsOn: [], stop: { signal: 'SIGINT', timeoutMs: 20_000 } });
    // An edit of the stop alone moves nothing, and is recorded all the same.
    writeFileSync(s.file, readFileSync(s.file, 'utf8').replace('timeout: 20s', 'timeout: 25s'));
    expect(stack(['apply', '--yes', '-f', s.file]).stdout).toMatch(/^No changes\./);
    expect(s.state().services.a).toMatchObject({ stop: { signal: 'SIGINT', timeoutMs: 25_000 } });

    writeFileSync(s.file, `${readFileSync(s.file, 'utf8')}  broken: [\n`);
    const down = stack(['down', '--yes', '-f', s.file]);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).toMatch(/- b +stop[^]*- a +stop/);
    expect(readFileSync(got, 'utf8')).toBe('INT\n');
    expect(processesWith(`sleep ${m}`)).toHaveLength(0);
  });

  /**
   * Applies a service whose shell starts one sleep outside its group (`escape`) and execs another:
   * by default a sleep in a session of its own (`setsid`).
   */
  async function applyEscaping(service = 'escapes', escape = (m: string) => `setsid sleep ${m}`) {
    const m = marker();
    const s = scratch(`version: 1\nservices:\n  ${service}:\n    command: [sh, -c, "${escape(m)} & exec sleep ${m}"]\n`);
    expect(stack(['apply', '--yes', '-f', s.file]).code).toBe(0);
    const sleeps = () => processesWith(`sleep ${m}`).filter((proc) => proc.cmdline.startsWith('sleep '));
    await waitFor(() => sleeps().length === 2, 5000, 'both sleeps');
    return { s, sleeps };
  }

  // A child whose parent still runs is stopped with the group, read from the process tree (the
  // stop's line says so); one whose parent is gone is found afterwards by its marker (a note).
  it.each([
    ["what left its service's process group and session (setsid)", 'escapes', undefined, /escapes stopped \(.*\): also stopped 1 process it had started outside its process group/],
    // `setsid sh` makes a session of its own, starts sleep in it and exits: sleep leads nothing.
    ['a daemon that left its session and forked again (fork, setsid, fork), so it leads nothing', 'daemon', (m: string) => `setsid sh -c 'sleep ${m} &'`, /note: daemon: also stopped pid \d+, which had left the service's process group/],
  ])('down also stops %s', async (_what, service, escape, told) => {
    const { s, sleeps } = await applyEscaping(service, escape);
    const down = stack(['down', '--yes', '-f', s.file]);
    expect(down.code, down.stderr).toBe(0);
    expect(`${down.stdout}${down.stderr}`).toMatch(told);
    expect(sleeps()).toHaveLength(0);
  });

  it('down stops what a service left behind when its own run is gone (a launcher that daemonized and exited)', async () => {
    const m = marker();
    const s = scratch(`version: 1\nservices:\n  launcher:\n    command: [sh, -c, "setsid sh -c 'sleep ${m} &' & sleep 0.3"]\n`);
    const sleeps = () => processesWith(`sleep ${m}`).filter((proc) => proc.cmdline.startsWith('sleep '));
    try {
      expect(stack(['apply', '--yes', '-f', s.file]).code).toBe(0);
      await waitFor(() => sleeps().length === 1 && !isAlive(s.state().services.launcher?.pid as number), 5000, 'the launcher to exit, leaving its sleep');
      const down = stack(['down', '--yes', '-f', s.file]);
      expect(down.code, down.stderr).toBe(0);
      expect(down.stdout).toBe("No service is running, but 1 process that left launcher's process group is.\n");
      expect(down.stderr).toMatch(/note: launcher: also stopped pid \d+/);
      expect(sleeps()).toHaveLength(0);
      expect(stack(['down', '--yes', '-f', s.file]).stdout).toBe('Nothing is running.\n');
    } finally {
      for (const proc of sleeps()) process.kill(proc.pid, 'SIGKILL');
    }
  });

  it('a down answered "no" on a terminal stops nothing, not even what left its group', async () => {
    const { s, sleeps } = await applyEscaping();
    // util-linux `script` gives the command a terminal, so down asks.
    const child = spawn('script', ['-qec', `${process.execPath} ${STACK_BIN} down -f ${s.file}`, '/dev/null'], { stdio: ['pipe', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    await waitFor(() => output.includes('Stop 1 service?'), 10_000, 'the question');
    child.stdin.write('n\r');
    expect(await exited).toBe(1);
    expect(output).toContain('Nothing done.');
    expect(output).not.toMatch(/also stopped/);
    expect(sleeps()).toHaveLength(2);
    expect(stack(['down', '--yes', '-f', s.file]).code).toBe(0);
  });

  it.each([
    ['Ctrl+C', '\x03', 130, 'interrupted at the question; nothing done'],
    ['Ctrl+D', '\x04', 1, 'Nothing done.'],
  ])('%s at the question of apply starts nothing and is no internal error', async (_key, keystroke, code, said) => {
    const m = marker();
    const s = scratch(`version: 1\nservices:\n  a:\n    command: sleep ${m}\n`);
    const child = spawn('script', ['-qec', `${process.execPath} ${STACK_BIN} apply -f ${s.file}`, '/dev/null'], { stdio: ['pipe', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    await waitFor(() => output.includes('Apply this plan?'), 10_000, 'the question');
    child.stdin.write(keystroke);
    expect(await exited).toBe(code);
    expect(output).toContain(said);
    expect(output).not.toContain('internal error');
    expect(processesWith(`sleep ${m}`)).toHaveLength(0);
  });

  it('a run started through a symlinked folder is found by its marker from the real folder too', () => {
    const m = marker();
    const s = scratch(`version: 1\nservices:\n  a:\n    command: sleep ${m}\n`);
    const link = `${s.dir}-link`;
    symlinkSync(s.dir, link);
    try {
      expect(stack(['apply', '--yes', '-f', join(link, 'stack.yaml')]).code).toBe(0);
      // The state write is lost: only the marker can tell the run is this stack's.
      writeFileSync(join(s.dir, '.stack', 'state.json'), '');
      const again = stack(['apply', '--yes', '-f', s.file]);
      expect(again.code).toBe(0);
      expect(again.stderr).toContain('adopted it');
      expect(processesWith(`sleep ${m}`)).toHaveLength(1);
    } finally {
      rmSync(link);
    }
  });

  it("a second stack file in the same folder is refused while the first one's services run, and takes over once they are down", () => {
    const m = marker();
    const s = scratch(`version: 1\nservices:\n  x:\n    command: sleep ${m}\n`, { 'other.yaml': `version: 1\nservices:\n  y:\n    command: sleep ${m}\n` });
    const other = join(s.dir, 'other.yaml');
    expect(stack(['apply', '--yes', '-f', s.file]).code).toBe(0);
    for (const command of [['plan'], ['apply', '--yes'], ['down', '--yes']]) {
      const refused = stack([...command, '-f', other]);
      expect(refused.code, command.join(' ')).toBe(5);
      expect(refused.stderr).toContain('.stack/ beside other.yaml holds the services of stack.yaml (x)');
    }
    expect(processesWith(`sleep ${m}`)).toHaveLength(1);
    expect(stack(['down', '--yes', '-f', s.file]).code).toBe(0);
    expect(stack(['apply', '--yes', '-f', other]).code).toBe(0);
    expect(processesWith(`sleep ${m}`)).toHaveLength(1);
    stack(['down', '--yes', '-f', other]);
  });

  it('a stack file renamed takes its state along (the old file is gone): nothing is refused or started twice', () => {
    const m = marker();
    const s = scratch('version: 1\nservices: {}\n', { 'old.yaml': `version: 1\nservices:\n  x:\n    command: sleep ${m}\n` });
    expect(stack(['apply', '--yes', '-f', join(s.dir, 'old.yaml')]).code).toBe(0);
    renameSync(join(s.dir, 'old.yaml'), join(s.dir, 'new.yaml'));
    const again = stack(['apply', '--yes', '-f', join(s.dir, 'new.yaml')]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('No changes');
    expect(stack(['down', '--yes', '-f', join(s.dir, 'new.yaml')]).code).toBe(0);
    expect(processesWith(`sleep ${m}`)).toHaveLength(0);
  });

  it('a recorded pid that now belongs to another process is not treated as ours', () => {
    const m = marker();
    const s = scratch(`version: 1\nservices:\n  a:\n    command: sleep ${m}\n`);
    expect(stack(['apply', '--yes', '-f', s.file]).code).toBe(0);
    const state = s.state();
    const record = state.services.a as { pid?: number; pgid?: number; startTicks?: number };
    const ours = record.pid as number;
    // Pretend our pid was recycled: point the record at the test runner itself.
    process.kill(ours, 'SIGKILL');
    Object.assign(record, { pid: process.pid, pgid: process.pid, startTicks: 1 });
    writeFileSync(join(s.dir, '.stack', 'state.json'), JSON.stringify(state));
    const status = JSON.parse(stack(['status', '--json', '-f', s.file]).stdout) as { services: { observed: string }[] };
    expect(status.services[0]?.observed).toBe('crashed');
    expect(stack(['down', '--yes', '-f', s.file]).code).toBe(0);
    expect(isAlive(process.pid)).toBe(true);
    const plan = JSON.parse(stack(['plan', '--json', '-f', s.file]).stdout) as { actions: { op: string }[] };
    expect(plan.actions.map((action) => action.op)).toEqual(['start']);
  });

  it('a service that exits during start fails with its exit code and skips its dependents', () => {
    const m = marker();
    const s = scratch(`version: 1\nservices:\n  bad:\n    command: "echo boom; exit 3"\n    shell: true\n    ready: { exec: "false", timeout: 5s }\n  dependent:\n    command: sleep ${m}\n    dependsOn: [bad]\n  other:\n    command: sleep ${m}\n`);
    const result = stack(['apply', '--yes', '-f', s.file]);
    expect(result.code).toBe(1);
    expect(result.stdout + result.stderr).toMatch(/code 3/);
    expect(result.stdout + result.stderr).toContain('boom');
    expect(result.stdout).toMatch(/dependent skipped/);
    expect(processesWith(`sleep ${m}`)).toHaveLength(1);
  });

  it('an executable that does not exist fails clearly', () => {
    const s = scratch('version: 1\nservices:\n  ghost:\n    command: no-such-binary-here --flag\n');
    const result = stack(['apply', '--yes', '-f', s.file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no-such-binary-here');
    expect(result.stderr).toMatch(/not found/);
    // Each failure names its service once.
    expect(result.stderr).toMatch(/^✗ ghost install \+ start failed: executable "no-such-binary-here"/m);
  });

  it('a service that exits within its settle is reported once, then shown crashed with its exit said once', () => {
    const s = scratch('version: 1\nservices:\n  bad:\n    command: [sh, -c, "exit 4"]\n');
    const result = stack(['apply', '--yes', '-f', s.file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^✗ bad install \+ start failed: exited with code 4 right after it started/m);
    const status = JSON.parse(stack(['status', '--json', '-f', s.file]).stdout) as { services: { observed: string; detail?: string }[] };
    expect(status.services[0]).toMatchObject({ observed: 'crashed', detail: 'start failed: exited with code 4 right after it started' });
  });

  it('a start that exits within its settle while another service is still starting is still reported failed', () => {
    const m = marker();
    const s = scratch(
      `version: 1\nservices:\n  slow:\n    command: [sh, -c, "sleep 0.5; echo ready; exec sleep ${m}"]\n    ready: { log: ready, timeout: 5s }\n  quick:\n    command: [sh, -c, "echo dying >&2; exit 3"]\n`,
    );
    const result = stack(['apply', '--yes', '-f', s.file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^✗ quick install \+ start failed: exited with code 3 right after it started/m);
    expect(result.stdout).toContain('Apply finished with failures: 1 started, 1 failed');
  });

  it('a start that exits within its settle leaves nothing of its group running, and the next apply starts one copy', async () => {
    const m = marker();
    const s = scratch(`version: 1\nservices:\n  bg:\n    command: "sleep ${m} & echo launched"\n    shell: true\n`);
    expect(stack(['apply', '--yes', '-f', s.file]).code).toBe(1);
    await waitFor(() => processesWith(`sleep ${m}`).length === 0 || undefined, 5000, 'the background sleep of the failed start to be stopped');
    const status = JSON.parse(stack(['status', '--json', '-f', s.file]).stdout) as { services: { observed: string; detail?: string }[] };
    expect(status.services[0]).toMatchObject({ observed: 'crashed', detail: 'start failed: exited with code 0 right after it started' });
    stack(['apply', '--yes', '-f', s.file]);
    expect(processesWith(`sleep ${m}`).length).toBeLessThanOrEqual(1);
  });

  it('a start that failed shows as crashed with the reason, and the next plan starts it again', () => {
    const s = scratch('version: 1\nservices:\n  ghost:\n    command: no-such-binary-here\n');
    expect(stack(['apply', '--yes', '-f', s.file]).code).toBe(1);
    const status = JSON.parse(stack(['status', '--json', '-f', s.file]).stdout) as { services: { observed: string; detail?: string }[] };
    expect(status.services[0]).toMatchObject({ observed: 'crashed', detail: 'start failed: executable "no-such-binary-here" not found on PATH' });
    expect(stack(['plan', '-f', s.file]).stdout).toMatch(/\+ ghost +start +crashed \(start failed: executable/);
  });

  it('a service skipped because its running dependency is not ready fails the apply (exit 1)', () => {
    const m = marker();
    const db = `version: 1\nservices:\n  db:\n    command: sleep ${m}\n    ready: { exec: [test, -f, flag], timeout: 1s, interval: 100ms }\n`;
    const s = scratch(db, { flag: '' });
    expect(stack(['apply', '--yes', '-f', s.file]).code).toBe(0);
    rmSync(join(s.dir, 'flag'));
    writeFileSync(s.file, `${db}  app:\n    command: sleep ${m}\n    dependsOn: [db]\n`);
    const result = stack(['apply', '--yes', '-f', s.file, '--json']);
    expect(result.code).toBe(1);
    const json = JSON.parse(result.stdout) as { outcome: { failed: number; skipped: number; services: { service: string; status: string }[] } };
    expect(json.outcome).toMatchObject({ failed: 0, skipped: 1 });
    expect(json.outcome.services).toEqual([expect.objectContaining({ service: 'app', status: 'skipped' })]);
  });

  it('--json of apply and down has the same shape when there is nothing to do', () => {
    const m = marker();
    const s = scratch(`version: 1\nservices:\n  a:\n    command: sleep ${m}\n`);
    const keys = (args: string[]) => Object.keys(JSON.parse(stack([...args, '--yes', '--json', '-f', s.file]).stdout) as object);
    const shape = ['formatVersion', 'project', 'plan', 'outcome'];
    expect(keys(['apply'])).toEqual(shape);
    expect(keys(['apply'])).toEqual(shape);
    expect(keys(['down'])).toEqual(shape);
    expect(keys(['down'])).toEqual(shape);
  });

  it('secret values never appear in the errors of a failed apply, its JSON, or the reasons it records', () => {
    const secret = 'SEKRIT-do-not-print-42';
    const s = scratch(
      `version: 1\nservices:\n  leak:\n    command: [sh, -c, 'echo "connecting with $$API_TOKEN"; exit 1']\n    env: { API_TOKEN: ${secret} }\n  nocwd:\n    command: [sleep, "1"]\n    cwd: ./missing-${secret}\n    env: { API_TOKEN: ${secret} }\n`,
    );
    const human = stack(['apply', '--yes', '-f', s.file]);
    const json = stack(['apply', '--yes', '--json', '-f', s.file]);
    // The missing cwd is found when the file loads, its path shown without the secret in it.
    expect(human.code).toBe(5);
    expect(human.stderr).toContain('working folder ./missing-(sensitive) does not exist');
    writeFileSync(s.file, readFileSync(s.file, 'utf8').replace(`./missing-${secret}`, '.'));
    const failed = stack(['apply', '--yes', '-f', s.file]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('connecting with (sensitive)');
    const reasons = Object.values(s.state().services).map((record) => JSON.stringify(record.lastExit ?? null));
    for (const text of [human.stdout, human.stderr, json.stdout, json.stderr, failed.stdout, failed.stderr, ...reasons]) expect(text).not.toContain(secret);
  });

  it('--json of a failed start carries its facts beside the error text: exit code and last log lines', () => {
    const s = scratch(`version: 1\nservices:\n  quits:\n    command: [sh, -c, 'echo "cannot open db.sqlite"; exit 3']\n`);
    const result = stack(['apply', '--yes', '--json', '-f', s.file]);
    expect(result.code).toBe(1);
    const json = JSON.parse(result.stdout) as { formatVersion: number; outcome: { services: { service: string; error?: string; exitCode?: number | null; logTail?: string[] }[] } };
    expect(json.formatVersion).toBe(1);
    expect(json.outcome.services).toEqual([
      expect.objectContaining({ service: 'quits', error: expect.stringContaining('exited with code 3 right after it started'), exitCode: 3, logTail: ['cannot open db.sqlite'] }),
    ]);
  });

  it("a failed start quotes its own run's log lines, not an earlier run's", () => {
    const s = scratch('version: 1\nservices:\n  bad:\n    command: [sh, -c, "echo a run; exit 4"]\n');
    expect(stack(['apply', '--yes', '-f', s.file]).stderr.match(/^ {2}a run$/gm)).toHaveLength(1);
    const again = stack(['apply', '--yes', '-f', s.file]);
    expect(again.code).toBe(1);
    expect(again.stderr.match(/^ {2}a run$/gm)).toHaveLength(1);
  });

  it('without a terminal and without --yes, apply refuses and starts nothing', () => {
    const m = marker();
    const s = scratch(`version: 1\nservices:\n  a:\n    command: sleep ${m}\n`);
    const result = stack(['apply', '-f', s.file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('--yes');
    expect(processesWith(`sleep ${m}`)).toHaveLength(0);
  });

  it('keeps a parse cache in the user cache folder, not in the project, which follows every edit', () => {
    const m = marker();
    const s = scratch(`version: 1\nservices:\n  a:\n    command: sleep ${m}\n`);
    const cacheHome = join(s.dir, 'home-cache');
    const run = (args: string[]) => stack([...args, '-f', s.file], { env: { XDG_CACHE_HOME: cacheHome } });
    expect(run(['plan']).code).toBe(0);
    expect(existsSync(join(s.dir, '.stack'))).toBe(false);
    expect(readdirSync(join(cacheHome, 'stack', 'parse'))).toHaveLength(1);
    expect(run(['apply', '--yes']).code).toBe(0);
    const names = () => (JSON.parse(run(['status', '--json']).stdout) as { services: { name: string }[] }).services.map((row) => row.name);
    expect(names()).toEqual(['a']);
    s.write(`version: 1\nservices:\n  a:\n    command: sleep ${m}\n  b:\n    command: sleep ${m}\n`);
    expect(names()).toEqual(['a', 'b']);
    // An edit that breaks the file is reported from the text, where it is wrong, however the last one was cached.
    s.write(`version: 1\nservices:\n  a:\n    command: sleep ${m}\n  b:\n    comand: sleep 1\n`);
    const broken = run(['status']);
    expect(broken.code).toBe(5);
    expect(broken.stderr).toContain('stack.yaml:6:5');
    expect(readdirSync(join(cacheHome, 'stack', 'parse'))).toHaveLength(1);
  });

  it('an invalid file starts nothing (exit 5)', () => {
    const m = marker();
    const s = scratch(`version: 1\nservices:\n  a:\n    command: sleep ${m}\n  b:\n    comand: sleep 1\n`);
    expect(stack(['apply', '--yes', '-f', s.file]).code).toBe(5);
    expect(processesWith(`sleep ${m}`)).toHaveLength(0);
  });

  it('Ctrl+C mid-apply exits 130; a re-apply converges with exactly one process per service', async () => {
    const m = marker();
    const port = await freePort();
    const s = scratch(
      `version: 1\nservices:\n  slow:\n    command: [node, slow.js, "${m}"]\n    ready: { tcp: ${port}, timeout: 20s }\n  after:\n    command: sleep ${m}\n    dependsOn: [slow]\n  free:\n    command: sleep ${m}\n`,
      { 'slow.js': `setTimeout(() => require('net').createServer().listen(${port}, '127.0.0.1'), 1500);` },
    );
    const run = stackAsync(['apply', '--yes', '-f', s.file]);
    await waitFor(() => { try { return s.state().services.slow?.pid; } catch { return undefined; } }, 10_000, 'slow to be recorded');
    run.child.kill('SIGINT');
    const result = await run.done;
    expect(result.code).toBe(130);
    const again = stack(['apply', '--yes', '-f', s.file]);
    expect(again.code).toBe(0);
    expect(processesWith(`slow.js ${m}`)).toHaveLength(1);
    expect(processesWith(`sleep ${m}`)).toHaveLength(2);
    expect(stack(['plan', '--detailed-exitcode', '-f', s.file]).code).toBe(0);
  });

  it('two concurrent applies never start a service twice', async () => {
    const m = marker();
    const services = Array.from({ length: 6 }, (_, i) => `  s${i}:\n    command: sleep ${m}\n`).join('');
    const s = scratch(`version: 1\nservices:\n${services}`);
    const runs = [stackAsync(['apply', '--yes', '-f', s.file]), stackAsync(['apply', '--yes', '-f', s.file])];
    const results = await Promise.all(runs.map((run) => run.done));
    const codes = results.map((result) => result.code).sort();
    expect(codes.every((code) => code === 0 || code === 7)).toBe(true);
    expect(codes).toContain(0);
    for (const result of results.filter((r) => r.code === 7)) expect(result.stderr).toMatch(/holds the lock: pid \d+/);
    expect(processesWith(`sleep ${m}`)).toHaveLength(6);
  });

  it('with --wait-lock, concurrent applies queue and the later one finds nothing to do', async () => {
    const m = marker();
    const s = scratch(`version: 1\nservices:\n  a:\n    command: sleep ${m}\n  b:\n    command: sleep ${m}\n`);
    const runs = [0, 1, 2, 3].map(() => stackAsync(['apply', '--yes', '--wait-lock', '-f', s.file]));
    const results = await Promise.all(runs.map((run) => run.done));
    expect(results.map((result) => result.code)).toEqual([0, 0, 0, 0]);
    expect(processesWith(`sleep ${m}`)).toHaveLength(2);
  });

  it('--wait-lock says whom it waits for, and goes on once the holder is gone', async () => {
    const m = marker();
    const s = scratch(`version: 1\nservices:\n  a:\n    command: sleep ${m}\n`);
    const holder = spawn('sleep', ['30'], { stdio: 'ignore' });
    let run: ReturnType<typeof spawnCli> | undefined;
    try {
      mkdirSync(join(s.dir, '.stack'), { recursive: true, mode: 0o700 });
      writeFileSync(join(s.dir, '.stack', 'lock'), `${JSON.stringify({ pid: holder.pid, command: 'stack apply', since: new Date().toISOString() })}\n`);
      const waiting = spawnCli(['apply', '--yes', '--wait-lock', '-f', s.file]);
      run = waiting;
      await waitFor(() => waiting.stderr().includes(`waiting for the lock held by pid ${holder.pid}`) || undefined, 10_000, 'the waiting note');
      expect(processesWith(`sleep ${m}`)).toHaveLength(0);
      holder.kill('SIGKILL');
      const result = await waiting.done;
      expect(result.code, result.stderr).toBe(0);
      expect(processesWith(`sleep ${m}`)).toHaveLength(1);
    } finally {
      // A failed wait must not leave the apply to start its service after the test's cleanup.
      run?.child.kill('SIGKILL');
      holder.kill('SIGKILL');
    }
  });

  it('logs shows each line prefixed with the service name', async () => {
    const s = scratch('version: 1\nservices:\n  talker:\n    command: [node, -e, "console.log(\'hello from talker\'); setInterval(() => {}, 1000)"]\n');
    expect(stack(['apply', '--yes', '-f', s.file]).code).toBe(0);
    await waitFor(() => stack(['-f', s.file, 'logs', 'talker']).stdout.includes('talker | hello from talker'), 5000, 'the log line');
    expect(stack(['-f', s.file, 'logs', 'nope']).code).toBe(4);
  });
});
