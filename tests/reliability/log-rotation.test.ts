// Log rotation while a service writes fast: no line lost or duplicated across the rotation, and
// `stack logs -f` follows across it. Services write straight into their log file (no pipe through
// stack, which may exit). A log is rotated when a run starts (rename) and, while the service
// runs, by the controller and by each apply (its oldest blocks cut from the live file): see
// docs/reliability.md.
import { parseLogLine } from '../../src/model/log-line.js';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { stack, stackAsync, tempStack, waitFor } from '../support/stack-cli.js';
import { figures, printFigures } from './support.js';
import { startCli } from '../support/controller.js';

const made: ReturnType<typeof tempStack>[] = [];
afterEach(() => {
  for (const created of made.splice(0)) {
    stack(['down', '--yes', '-f', created.file]);
    created.cleanup();
  }
});
afterAll(() => printFigures('log-rotation'));

// Bursts of numbered lines as fast as the event loop allows; the run id comes from the env.
const WRITER_JS = `let seq = 0;
setInterval(() => { for (let i = 0; i < 50; i += 1) process.stdout.write('run=' + process.env.RUN + ' seq=' + (seq++) + '\\n'); }, 1);
`;

const yaml = (run: number) => `version: 1\nservices:\n  writer:\n    command: [node, writer.js]\n    env: { RUN: "${run}" }\n    logs: { maxSize: 16KB, maxFiles: 100 }\n    stop: { timeout: 2s }\n`;

/** The sequence numbers of run `run` in `text`, in order. */
function seqs(text: string, run: number): number[] {
  return [...text.matchAll(new RegExp(`run=${run} seq=(\\d+)$`, 'gm'))].map((match) => Number(match[1]));
}

function expectContiguous(numbers: number[], from: number | undefined, label: string): void {
  expect(numbers.length, label).toBeGreaterThan(0);
  const first = numbers[0] as number;
  if (from !== undefined) expect(first, label).toBe(from);
  expect(numbers, label).toEqual(numbers.map((_, index) => first + index));
}

/** Every rotated file of `log`, oldest first, then the live one, as one text. */
function wholeStream(log: string): string {
  const parts: Buffer[] = [];
  for (let index = 1; existsSync(`${log}.${index}`); index += 1) parts.unshift(readFileSync(`${log}.${index}`));
  parts.push(readFileSync(log));
  return Buffer.concat(parts).toString('utf8');
}

describe('log rotation', () => {
  it('a restart rotates a log past maxSize; files and `logs -f` hold every line exactly once, in order', async () => {
    const s = tempStack(yaml(1), { 'writer.js': WRITER_JS });
    made.push(s);
    const log = join(s.dir, '.stack', 'logs', 'writer.log');
    expect(stack(['apply', '--yes', '-f', s.file]).code).toBe(0);
    const follow = stackAsync(['-f', s.file, 'logs', 'writer', '-n', '0', '-f']);
    let live = '';
    follow.child.stdout.on('data', (chunk) => (live += chunk));
    await waitFor(() => seqs(live, 1).length > 200, 10_000, 'logs -f to show run 1');
    await waitFor(() => seqs(readFileSync(log, 'utf8'), 1).length > 2000, 10_000, 'run 1 to pass maxSize');

    // A changed env restarts the writer: stop, rotate (the log is past 16 KB), start.
    for (let run = 2; run <= 4; run += 1) {
      s.write(yaml(run));
      expect(stack(['apply', '--yes', '-f', s.file]).code).toBe(0);
      figures.faultsInjected += 1;
      await waitFor(() => seqs(readFileSync(log, 'utf8'), run).length > 2000, 10_000, `run ${run} to write`);
    }
    await waitFor(() => seqs(live, 4).length > 1000, 10_000, 'logs -f to reach run 4');
    follow.child.kill('SIGINT');
    const followed = (await follow.done).stdout;

    // On disk, every rotated file oldest first and then the live one: runs 1 … 4, each whole.
    const onDisk = wholeStream(log);
    for (let run = 1; run <= 4; run += 1) expectContiguous(seqs(onDisk, run), 0, `run ${run} on disk`);
    const texts = onDisk.split('\n').map((raw) => parseLogLine(raw).text);
    const files = [1, 2, 3, 4].map((run) => texts.filter((line) => line.startsWith(`run=${run} `)).join('\n'));
    expectContiguous(seqs(followed, 1), undefined, 'run 1 followed');
    expect(seqs(followed, 1).at(-1)).toBe(seqs(files[0] as string, 1).at(-1));
    for (const run of [2, 3]) expect(seqs(followed, run), `run ${run} followed`).toEqual(seqs(files[run - 1] as string, run));
    expectContiguous(seqs(followed, 4), 0, 'run 4 followed');
    // Besides the writer's lines, only stack's own: each start.
    expect(followed.split('\n').filter((line) => line !== '' && !/^writer \| (run=\d seq=\d+|── writer started ──)$/.test(line))).toEqual([]);
  });

  it('a running service is rotated by size while `stack watch` supervises it: same pid, every line once on disk and in `logs -f`', async () => {
    const live = `version: 1\nservices:\n  writer:\n    command: [node, writer.js]\n    env: { RUN: "1" }\n    logs: { maxSize: 64KB, maxFiles: 100 }\n    stop: { timeout: 2s }\n`;
    const s = tempStack(live, { 'writer.js': WRITER_JS });
    made.push(s);
    const log = join(s.dir, '.stack', 'logs', 'writer.log');
    expect(stack(['apply', '--yes', '-f', s.file]).code).toBe(0);
    const pidOf = () => (JSON.parse(stack(['status', '--json', '-f', s.file]).stdout) as { services: { pid?: number }[] }).services[0]?.pid;
    const pid = pidOf();
    expect(pid).toBeGreaterThan(0);
    // With each line's time: a follower across live rotations loses no line and no time.
    const follow = stackAsync(['-f', s.file, 'logs', 'writer', '-n', '0', '-f', '--timestamps']);
    let followed = '';
    follow.child.stdout.on('data', (chunk) => (followed += chunk));
    const watch = startCli(['-f', s.file, 'watch']);
    try {
      await waitFor(() => existsSync(`${log}.3`), 30_000, 'the controller to rotate the live log three times');
    } finally {
      watch.child.kill('SIGTERM');
      await watch.done;
    }
    figures.faultsInjected += 3;
    expect(pidOf()).toBe(pid);
    // Stopping the writer fixes the end of the stream; the follower catches up to it.
    expect(stack(['down', '--yes', '-f', s.file]).code).toBe(0);
    const written = seqs(wholeStream(log), 1);
    expectContiguous(written, 0, 'every rotated file, then the live one');
    await waitFor(() => seqs(followed, 1).at(-1) === written.at(-1), 10_000, 'logs -f to reach the last line');
    follow.child.kill('SIGINT');
    await follow.done;
    expectContiguous(seqs(followed, 1), undefined, 'logs -f across the live rotations');
    const lines = followed.split('\n').filter((line) => line !== '');
    expect(lines.filter((line) => !/^writer \| \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z run=1 seq=\d+$/.test(line))).toEqual([]);
    const times = lines.map((line) => line.split(' ')[2] as string);
    expect(times.every((time, index) => index === 0 || time >= (times[index - 1] as string))).toBe(true);
  });
});
