// What stack keeps of a command's output is bounded: the last 64 KiB of each stream, lines cut at
// 16 KiB. Real commands where a command is involved.
import { describe, expect, it } from 'vitest';
import { lineSplitter, OutputTail, TAIL_BYTES } from '../../src/os/output-tail.js';
import { checkExec } from '../../src/providers/probe-checks.js';
import { runCommand, streamCommand } from '../../src/os/runner.js';

describe('OutputTail', () => {
  it('keeps the last bytes whatever the chunk sizes', () => {
    const tail = new OutputTail(10);
    for (const chunk of ['abc', 'defgh', 'ij', 'klmnopqrstuvwxyz', '0', '12']) tail.push(chunk);
    expect(tail.text()).toBe('tuvwxyz012');
    expect(tail.cut).toBe(true);
    const whole = new OutputTail(10);
    whole.push('short');
    expect([whole.text(), whole.cut]).toEqual(['short', false]);
  });
});

describe('lineSplitter', () => {
  it('hands over lines across chunks and cuts a line past the limit, counting what was left out', () => {
    const lines: string[] = [];
    const split = lineSplitter((line) => lines.push(line), 5);
    for (const chunk of ['ab', 'c\nde', 'fghij', 'kl\nm', '\n', 'tail']) split.push(chunk);
    split.end();
    expect(lines).toEqual(['abc', 'defgh … [4 more characters of this line not shown]', 'm', 'tail']);
  });
});

describe('runCommand keeps a bounded tail', () => {
  it('a command printing 20 MB and exiting 0 succeeds; the last 64 KiB of stdout and stderr come back', async () => {
    const script = 'yes 0123456789 | head -c 20000000; echo the-end; yes e | head -c 3000000 >&2; echo err-end >&2; exit 0';
    const result = await runCommand(['sh', '-c', script], { timeoutMs: 60_000 });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/\n0123456789\n\d*the-end$/);
    expect(result.stdout.length).toBeLessThanOrEqual(TAIL_BYTES);
    expect(result.stdout.length).toBeGreaterThan(TAIL_BYTES - 100);
    expect(result.stderr.endsWith('e\nerr-end')).toBe(true);
    expect(result.stderr.length).toBeLessThanOrEqual(TAIL_BYTES);
  });

  it('an exec probe that prints 3 MB and fails is quoted by its real last line', async () => {
    const result = await checkExec(['sh', '-c', 'yes e | head -c 3000000 >&2; echo the real reason >&2; exit 1'], { timeoutMs: 60_000 });
    expect(result).toEqual({ ok: false, reason: 'exited with code 1: the real reason' });
  });

  it('streamCommand hands a line that never ends over cut, not whole', async () => {
    const lines: string[] = [];
    const result = await streamCommand(['sh', '-c', "head -c 5000000 /dev/zero | tr '\\0' a; echo; echo next"], { onLine: (line) => lines.push(line) });
    expect(result.exitCode).toBe(0);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^a{16384} … \[4983616 more characters of this line not shown\]$/);
    expect(lines[1]).toBe('next');
  });
});
