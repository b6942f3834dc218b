// Log rotation while a service writes fast: no line lost or duplicated across the rotation, and
// `stack logs -f` follows across it. Services write straight into their log file (no pipe through
// stack, which may exit), so rotation happens when a run starts: see docs/reliability.md.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { stack, stackAsync, tempStack, waitFor } from '../support/stack-cli.js';
import { figures, printFigures } from './support.js';

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

const yaml = (run: number) => `version: 1\nservices:\n  writer:\n    command: [node, writer.js]\n    env: { RUN: "${run}" }\n    logs: { maxSize: 16KB, maxFiles: 3 }\n    stop: { timeout: 2s }\n`;

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

    // On disk: writer.log.3 … writer.log hold runs 1 … 4, each whole and in order.
    const files = [`${log}.3`, `${log}.2`, `${log}.1`, log].map((file) => readFileSync(file, 'utf8'));
    files.forEach((text, index) => expectContiguous(seqs(text, index + 1), 0, `run ${index + 1} on disk`));
    // Followed: run 1 from wherever -f joined, runs 2 and 3 whole, run 4 from its start.
    expectContiguous(seqs(followed, 1), undefined, 'run 1 followed');
    expect(seqs(followed, 1).at(-1)).toBe(seqs(files[0] as string, 1).at(-1));
    for (const run of [2, 3]) expect(seqs(followed, run), `run ${run} followed`).toEqual(seqs(files[run - 1] as string, run));
    expectContiguous(seqs(followed, 4), 0, 'run 4 followed');
    expect(followed.split('\n').filter((line) => line !== '' && !/^writer \| run=\d seq=\d+$/.test(line))).toEqual([]);
  });
});
