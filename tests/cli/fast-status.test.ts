// `stack status` answered from a running controller's API before the CLI's bundle loads
// (src/cli/fast-status.ts), and the full CLI whenever anything is unusual.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseStatusArgs, statusBodyOf } from '../../src/cli/fast-status.js';
import { Cleanup, lockOf, sleepsWith } from '../support/controller.js';
import { isAlive, stack, waitFor } from '../support/stack-cli.js';
import { uniqueMarker } from '../support/marker.js';

describe('the arguments the fast path takes', () => {
  it.each([
    [['status'], { json: false, wide: false, color: true, names: [] }],
    [['status', '--json', 'a', 'b'], { json: true, wide: false, color: true, names: ['a', 'b'] }],
    [['-f', 'x.yaml', 'status', '--no-color'], { file: 'x.yaml', json: false, wide: false, color: false, names: [] }],
    [['status', '--file=x.yaml', '--json'], { file: 'x.yaml', json: true, wide: false, color: true, names: [] }],
    [['status', 'a', '--file', 'x.yaml'], { file: 'x.yaml', json: false, wide: false, color: true, names: ['a'] }],
    [['status', '-o', 'wide', 'a'], { json: false, wide: true, color: true, names: ['a'] }],
    [['status', '--output=wide', '--json'], { json: true, wide: true, color: true, names: [] }],
  ])('%j', (args, expected) => {
    expect(parseStatusArgs(args)).toEqual(expected);
  });

  it.each([[['status', '--probe']], [['status', '--help']], [['status', '-h']], [['--json', 'status']], [['status', '--', 'a']], [['plan']], [['logs', 'status']], [['status', '-f']], [['status', '--jsn']], [['status', '-o', 'tall']], [['status', '-o']], [['-o', 'wide', 'status']], [[]]])(
    'leaves %j to the full CLI',
    (args) => {
      expect(parseStatusArgs(args)).toBeUndefined();
    },
  );
});

describe('the answers the fast path takes', () => {
  const body = JSON.stringify({ formatVersion: 1, project: 'p', controller: { pid: 7 }, services: [{ name: 'é' }] });
  const answer = (head: string, text = body) => Buffer.from(`${head}\r\n\r\n${text}`);

  it('a whole 200 in version 1', () => {
    expect(statusBodyOf(answer(`HTTP/1.1 200 OK\r\nContent-Length: ${Buffer.byteLength(body)}`))).toEqual(JSON.parse(body));
    expect(statusBodyOf(answer('HTTP/1.0 200 OK'))).toEqual(JSON.parse(body));
  });

  it.each([
    ['an error status', answer('HTTP/1.1 500 Internal Server Error')],
    ['a chunked body', answer('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked')],
    ['a body cut short', answer(`HTTP/1.1 200 OK\r\nContent-Length: ${Buffer.byteLength(body) + 1}`)],
    ['no end of the head', Buffer.from('HTTP/1.1 200 OK\r\n')],
    ['not JSON', answer('HTTP/1.1 200 OK', '{"formatVersion": 1,')],
    ['another version', answer('HTTP/1.1 200 OK', '{"formatVersion": 2, "services": []}')],
    ['nothing', undefined],
  ])('not %s', (_what, raw) => {
    expect(statusBodyOf(raw)).toBeUndefined();
  });
});

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const marker = () => {
  const m = uniqueMarker();
  cleanup.marker(`sleep ${m}`);
  return m;
};

/** Runs the CLI saying on stderr whether it compiled the bundle (bin/stack.cjs runs it through node:vm). */
function stackSeen(dir: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const hook = join(dir, 'bundle-hook.cjs');
  writeFileSync(hook, "const vm = require('node:vm'); const Script = vm.Script; vm.Script = function (...args) { process.stderr.write('BUNDLE LOADED\\n'); return new Script(...args); };\n");
  const result = stack(args, { cwd: dir, env: { NODE_OPTIONS: `--require ${hook}`, ...env } });
  return { ...result, bundle: result.stderr.includes('BUNDLE LOADED'), stderr: result.stderr.replace('BUNDLE LOADED\n', '') };
}

describe('stack status with a controller running', () => {
  it('is the controller\'s answer, without the bundle, as the full CLI prints it; other cases run the full CLI', async () => {
    const m = marker();
    const s = cleanup.scratch(`version: 1\nservices:\n  a:\n    command: sleep ${m}\n  b:\n    command: sleep ${m}\n`);
    const up = stack(['up', '--detach', '-f', s.file]);
    expect(up.code, up.stderr).toBe(0);
    const controller = lockOf(s.dir)?.pid as number;

    const fast = stackSeen(s.dir, ['status', '--json']);
    expect(fast.code, fast.stderr).toBe(0);
    expect(fast.bundle).toBe(false);
    const full = stackSeen(s.dir, ['status', '--json'], { STACK_NO_FAST_STATUS: '1' });
    expect(full.code, full.stderr).toBe(0);
    expect(full.bundle).toBe(true);
    // The same body but for what moves between two asks: uptime (a second may turn) and the controller's usage tick.
    const steady = (body: { services: Record<string, unknown>[] }) => ({ ...body, services: body.services.map(({ cpu: _cpu, memory: _memory, uptime: _uptime, ...row }) => row) });
    expect(steady(JSON.parse(fast.stdout))).toEqual(steady(JSON.parse(full.stdout)));
    expect(JSON.parse(fast.stdout).services[0]).toMatchObject({ uptime: expect.any(Number), command: `sleep ${m}` });
    expect(JSON.parse(fast.stdout)).toMatchObject({ formatVersion: 1, notice: expect.stringContaining(`pid ${controller} `) });

    const table = stackSeen(s.dir, ['status', 'a']);
    expect(table.code, table.stderr).toBe(0);
    expect(table.bundle).toBe(false);
    const a = sleepsWith(m).map((proc) => proc.pid);
    expect(table.stdout).toMatch(new RegExp(`^NAME +PROVIDER.*\\na +process +running +running +(${a.join('|')}) `));
    expect(table.stdout).not.toMatch(/^b /m);
    expect(table.stderr).toMatch(new RegExp(`^note: pid ${controller} \\(\`stack (up|watch)\`.*acting on this stack\\n$`));

    // A name the controller does not know: the full CLI says so (exit 4).
    const unknown = stackSeen(s.dir, ['status', 'nope']);
    expect([unknown.code, unknown.bundle]).toEqual([4, true]);
    expect(unknown.stderr).toContain('no service named "nope"');

    // The controller gone, its socket left behind: the full CLI, daemonless.
    process.kill(controller, 'SIGKILL');
    await waitFor(() => !isAlive(controller), 5000, 'the controller to die');
    const stale = stackSeen(s.dir, ['status', '--json']);
    expect([stale.code, stale.bundle]).toEqual([0, true]);
    expect(JSON.parse(stale.stdout)).not.toHaveProperty('notice');
  });
});
