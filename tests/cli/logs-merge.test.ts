// `stack logs a b -n all`: whole logs merged at the byte level (src/cli/log-merge.ts, the
// providers' logChunks). Its output is held to the tail's (`-n 1000`, which reads lines as
// strings) for every flag, and to a merge by hand across a piece boundary. Logs written here,
// as the relay frames them; the services are never started.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { frameLine, stampOf } from '../../src/model/log-line.js';
import { Cleanup, type Scratch } from '../support/controller.js';
import { spawnSync } from 'node:child_process';
import { STACK_BIN, stack } from '../support/stack-cli.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const SECRET = 'Sekrit-merge-4711';

function stackOf(names: string[]): Scratch {
  const services = names.map((name) => `  ${name}:\n    command: [sleep, "1"]\n    env: { TOKEN: ${SECRET} }\n`);
  const s = cleanup.scratch(`version: 1\nservices:\n${services.join('')}`);
  mkdirSync(join(s.dir, '.stack', 'logs'), { recursive: true, mode: 0o700 });
  return s;
}

const writeLog = (s: Scratch, name: string, bytes: string | Buffer) => writeFileSync(join(s.dir, '.stack', 'logs', `${name}.log`), bytes, { mode: 0o600 });
const logs = (s: Scratch, args: string[]) => stack(['logs', ...args, '--file', s.file], { env: { ...process.env, NO_COLOR: '1' } });
const BASE = Date.parse('2026-12-05T10:00:00Z');
const at = (ms: number) => stampOf(new Date(BASE + ms));
const framed = (ms: number, text: string, stream: 'stdout' | 'stderr' | 'stack' = 'stdout') => frameLine({ at: at(ms), text, stream });

describe('stack logs -n all: merged at the byte level', () => {
  it('prints what the tail prints, for every flag: bare lines, CRLF, bytes that are not UTF-8, a last line without its newline, a secret', () => {
    const s = stackOf(['a', 'b']);
    writeLog(
      s,
      'a',
      Buffer.concat([
        Buffer.from(`a bare line before framing\n${framed(10, 'a1')}${framed(30, `a2 token=${SECRET}`)}`),
        Buffer.from(framed(30, 'a crlf\r')),
        Buffer.from(`${at(40)} e `),
        Buffer.from([0x62, 0x61, 0x64, 0xff, 0xfe, 0x0a]),
        Buffer.from(`${framed(50, '── a restarted ──', 'stack')}\n${framed(70, 'a last', 'stderr').slice(0, -1)}`),
      ]),
    );
    writeLog(s, 'b', `${framed(5, 'b0')}${framed(30, 'b same time as a2')}bare in b\n${framed(60, 'b oops', 'stderr')}`);
    for (const flags of [[], ['--json'], ['-t'], ['--stderr'], ['--grep', 'a\\d|same'], ['--since', at(30)], ['--until', at(40)], ['--grep', 'token']]) {
      const whole = logs(s, ['a', 'b', '-n', 'all', ...flags]);
      const tail = logs(s, ['a', 'b', '-n', '1000', ...flags]);
      expect(whole.code, whole.stderr).toBe(0);
      expect(whole.stdout, flags.join(' ')).toBe(tail.stdout);
      expect(whole.stdout).not.toContain(SECRET);
    }
    // What that is, spelled out once.
    expect(logs(s, ['a', 'b', '-n', 'all']).stdout).toBe(
      [
        'a | a bare line before framing',
        'b | b0',
        'a | a1',
        'a | a2 token=(sensitive)',
        'a | a crlf\r',
        'b | b same time as a2',
        'b | bare in b',
        'a ! bad\ufffd\ufffd',
        'a | ── a restarted ──',
        'a | ',
        'b ! b oops',
        'a ! a last',
        '',
      ].join('\n'),
    );
  });

  it('hides a secret across the cut of a line stored in pieces (longer than 64 KiB), in the tail and in -n all alike', () => {
    const s = stackOf(['a', 'b']);
    const cutAt = 7;
    const pieces = [
      frameLine({ at: at(10), text: `${'x'.repeat(20)}${SECRET.slice(0, cutAt)}`, stream: 'stdout', continues: true }),
      frameLine({ at: at(20), text: 'an error between the pieces', stream: 'stderr' }),
      framed(30, `${SECRET.slice(cutAt)} and on`),
      framed(40, 'a next'),
    ];
    writeLog(s, 'a', pieces.join(''));
    writeLog(s, 'b', framed(15, 'b0'));
    const whole = logs(s, ['a', 'b', '-n', 'all']);
    expect(whole.code, whole.stderr).toBe(0);
    expect(whole.stdout).toBe(logs(s, ['a', 'b', '-n', '1000']).stdout);
    expect(whole.stdout).toBe(['a | xxxxxxxxxxxxxxxxxxxx(sensitive)', 'b | b0', 'a ! an error between the pieces', 'a | (sensitive) and on', 'a | a next', ''].join('\n'));
    // The tail that begins at the second piece; and one whose stream wrote nothing in the records read before it: taken as cut.
    expect(logs(s, ['a', '-n', '2']).stdout).toBe(['a | (sensitive) and on', 'a | a next', ''].join('\n'));
    const errors = Array.from({ length: 9 }, (_, i) => frameLine({ at: at(20 + i), text: `error ${i}`, stream: 'stderr' }));
    writeLog(s, 'a', [pieces[0], ...errors, pieces[2]].join(''));
    expect(logs(s, ['a', '-n', '1']).stdout).toBe('a | (sensitive) and on\n');
  });

  it('keeps every line whole across the pieces a log is read in (1 MiB), in time order, equal times in the order the services were named', () => {
    const s = stackOf(['a', 'b', 'c']);
    const expected: [number, number, string][] = [];
    for (const [order, name] of ['c', 'a', 'b'].entries()) {
      let text = '';
      // Lines of uneven length, so that piece boundaries fall inside lines; every 7th at a shared time.
      for (let i = 0; text.length < 1.5 * 1024 * 1024; i += 1) {
        const ms = i % 7 === 0 ? i : i + order / 10;
        const line = `${name}${i} ${'x'.repeat((i * 37) % 300)}`;
        text += framed(ms, line);
        expected.push([ms, order, `${name} | ${line}`]);
      }
      writeLog(s, name, text);
    }
    expected.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
    const merged = spawnSync(process.execPath, [STACK_BIN, 'logs', 'c', 'a', 'b', '-n', 'all', '--file', s.file], { env: { ...process.env, NO_COLOR: '1' }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    expect(merged.status, merged.stderr).toBe(0);
    const lines = merged.stdout.split('\n').slice(0, -1);
    expect(lines.length).toBe(expected.length);
    expect(lines).toEqual(expected.map((line) => line[2]));
  });
});
