// `stack logs` with each line's time (issue 30): one timeline across services, --timestamps,
// --since/--until, --grep (RE2), --stderr, --json; stack's own lines for starts, exits and
// restarts. Real processes, their output through the log relay.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseLogLine } from '../../src/model/log-line.js';
import { Cleanup, type Scratch } from '../support/controller.js';
import { spawnCli, stack, waitFor } from '../support/stack-cli.js';
import { appendFileSync } from 'node:fs';
import { frameLine, stampOf } from '../../src/model/log-line.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const marker = () => cleanup.marker(String(80_000 + Math.floor(Math.random() * 9_000)));
const STAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

/** The service's lines in its log, read back as stack keeps them. */
const logOf = (s: Scratch, name: string) =>
  readFileSync(join(s.dir, '.stack', 'logs', `${name}.log`), 'utf8')
    .split('\n')
    .slice(0, -1)
    .map(parseLogLine);

const logs = (s: Scratch, args: string[]) => stack(['logs', ...args, '--file', s.file], { env: { ...process.env, NO_COLOR: '1' } });

describe('stack logs: lines with their time', () => {
  it('merges services into one timeline, marks stderr, narrows by time, pattern and stream, and prints NDJSON', async () => {
    const m = marker();
    const secret = `Sekrit-${m}`;
    // a and b take turns (0.3 s apart), so the timeline is a1 b1 a2 b2 whatever order they are asked in.
    const s = cleanup.scratch(
      [
        'version: 1',
        'services:',
        '  a:',
        `    command: [sh, -c, 'echo a1; sleep 0.3; echo a2 "$$TOKEN"; echo a-oops >&2; exec sleep ${m}']`,
        `    env: { TOKEN: ${secret} }`,
        '  b:',
        `    command: [sh, -c, 'sleep 0.15; echo b1; sleep 0.3; echo b2; exec sleep ${m}']`,
        '',
      ].join('\n'),
    );
    expect(stack(['apply', '--yes', '-f', s.file]).code).toBe(0);
    await waitFor(() => logOf(s, 'a').some((line) => line.text === 'a-oops') && logOf(s, 'b').some((line) => line.text === 'b2'), 5000, 'both logs written');
    // On disk: framed, each line with its time and stream; the secret as the service wrote it (the file is 0600).
    expect(logOf(s, 'a').map((line) => [line.stream, line.text])).toEqual([
      ['stack', '── a started ──'],
      ['stdout', 'a1'],
      ['stdout', `a2 ${secret}`],
      ['stderr', 'a-oops'],
    ]);
    expect(logOf(s, 'a').every((line) => STAMP.test(line.at ?? ''))).toBe(true);

    const merged = logs(s, ['b', 'a']);
    expect(merged.code, merged.stderr).toBe(0);
    const serviceLines = merged.stdout.split('\n').filter((line) => !line.includes('──') && line !== '');
    expect(serviceLines).toEqual(['a | a1', 'b | b1', 'a | a2 (sensitive)', 'a ! a-oops', 'b | b2']);
    expect(merged.stdout).not.toContain(secret);

    const stamped = logs(s, ['a', '--timestamps', '--grep', '^a\\d']).stdout.trim().split('\n');
    expect(stamped).toHaveLength(2);
    for (const line of stamped) expect(line).toMatch(/^a \| \d{4}-\d\d-\d\dT\S+Z a\d/);

    expect(logs(s, ['--stderr']).stdout).toBe('a ! a-oops\n');
    // The grep sees the text as shown: the secret is not a way to probe for it.
    expect(logs(s, ['a', '--grep', secret]).stdout).toBe('');

    const json = logs(s, ['a', '--json']).stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(json.map((line) => [line.stream, line.line])).toEqual([
      ['stack', '── a started ──'],
      ['stdout', 'a1'],
      ['stdout', 'a2 (sensitive)'],
      ['stderr', 'a-oops'],
    ]);
    for (const line of json) expect(line).toEqual({ formatVersion: 1, time: expect.stringMatching(STAMP), service: 'a', stream: expect.any(String), line: expect.any(String) });

    // A window: nothing read in the future; all of it in the last minute; until a1's time, a1 alone.
    expect(logs(s, ['--since', new Date(Date.now() + 60_000).toISOString()]).stdout).toBe('');
    expect(logs(s, ['a', '--since', '1m']).stdout.split('\n').filter(Boolean)).toHaveLength(4);
    const a1 = logOf(s, 'a')[1]?.at as string;
    expect(logs(s, ['a', '--until', a1, '--grep', '.']).stdout).toBe('a | ── a started ──\na | a1\n');
  });

  it('says a bad --grep, --since or -n in one line with exit 1 and starts nothing', () => {
    const s = cleanup.scratch('version: 1\nservices:\n  a:\n    command: sleep 1\n');
    for (const args of [['--grep', '(unclosed'], ['--since', 'yesterday'], ['--until', '5 min'], ['-n', 'some']]) {
      const result = logs(s, args);
      expect([args.join(' '), result.code]).toEqual([args.join(' '), 1]);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('a crash under a controller is in the log where it happened: the exit, the restart and the next start', async () => {
    const m = marker();
    const s = cleanup.scratch(`version: 1\nservices:\n  w:\n    command: [sh, -c, 'echo up; exec sleep ${m}']\n    restart: { backoff: { initial: 50ms, max: 100ms } }\n`);
    const controller = cleanup.cli(['watch', '--interval', '1s', '-f', s.file]);
    await controller.waitForStderr(/watching .*stack\.yaml \(pid (\d+)\)/, 10_000, 'the "watching" line');
    const pid = s.state().services.w?.pid as number;
    process.kill(-pid, 'SIGKILL');
    await waitFor(() => logOf(s, 'w').filter((line) => line.text === 'up').length === 2, 10_000, 'the second run to print');
    const texts = logOf(s, 'w').map((line) => `${line.stream} ${line.text}`);
    // The exit and the restart come after the first run, the exit first; they are written as the
    // controller hears of them, which may be just after the next run began.
    expect(texts.slice(0, 2)).toEqual(['stack ── w started ──', 'stdout up']);
    const exit = texts.indexOf('stack ── w was killed by SIGKILL ──');
    const restart = texts.findIndex((text) => /^stack ── w restarting \(restart 1( of \d+)?\) ──$/.test(text));
    expect([exit > 1, restart > exit]).toEqual([true, true]);
    expect(texts.slice(2).filter((_, index) => index + 2 !== exit && index + 2 !== restart).sort()).toEqual(['stack ── w started ──', 'stdout up']);
  });

  for (const through of ['without a controller', 'through a controller'] as const) {
    it(`-f with no names follows a service added to stack.yaml and lets go of one removed (${through})`, async () => {
      const m = marker();
      const talker = (name: string) => `  ${name}:\n    command: [sh, -c, 'i=0; while :; do i=$$((i+1)); echo ${name}-$$i; sleep 0.2; done # ${m}']\n`;
      const s = cleanup.scratch(`version: 1\nservices:\n${talker('a')}`);
      if (through === 'through a controller') {
        const controller = cleanup.cli(['watch', '--interval', '1s', '-f', s.file]);
        await controller.waitForStderr(/watching .*stack\.yaml \(pid (\d+)\)/, 10_000, 'the "watching" line');
      } else {
        expect(stack(['apply', '--yes', '-f', s.file]).code).toBe(0);
      }
      const follow = spawnCli(['logs', '-f', '-n', '1', '--file', s.file]);
      try {
        await waitFor(() => /^a \| a-\d+$/m.test(follow.stdout()), 10_000, "a's lines");
        s.write(`version: 1\nservices:\n${talker('a')}${talker('b')}`);
        if (through === 'without a controller') expect(stack(['apply', '--yes', '-f', s.file]).code).toBe(0);
        // b from its first line on, its start included.
        await waitFor(() => /^b \| b-3$/m.test(follow.stdout()), 15_000, "b's lines in the follow");
        expect(follow.stdout()).toMatch(/^b \| ── b started ──\nb \| b-1\n/m);
        s.write(`version: 1\nservices:\n${talker('b')}`);
        if (through === 'without a controller') expect(stack(['apply', '--yes', '-f', s.file]).code).toBe(0);
        await waitFor(() => s.state().services.a === undefined, 15_000, 'a to be removed');
        // Let go (within a second): once b printed 2 s more, a line a's log gets is not followed, while b's next lines are.
        const bLines = () => follow.stdout().split('\n').filter((line) => line.startsWith('b | b-')).length;
        const atRemoval = bLines();
        await waitFor(() => bLines() >= atRemoval + 10, 15_000, "2 s more of b's lines");
        const gone = `a-after-removal-${m}`;
        appendFileSync(join(s.dir, '.stack', 'logs', 'a.log'), frameLine({ text: gone, stream: 'stdout', at: stampOf(new Date()) }));
        await waitFor(() => bLines() >= atRemoval + 15, 15_000, "b's next lines");
        expect(follow.stdout()).not.toContain(gone);
      } finally {
        follow.child.kill('SIGINT');
        await follow.done;
      }
    });
  }
});
