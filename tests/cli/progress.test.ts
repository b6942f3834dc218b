// What apply says per service on real processes: one final line each, no repeat after the summary.
import { afterEach, describe, expect, it } from 'vitest';
import { stack, tempStack } from '../support/stack-cli.js';
import { uniqueMarker } from '../support/marker.js';

const made: ReturnType<typeof tempStack>[] = [];
afterEach(() => {
  for (const created of made.splice(0)) {
    stack(['down', '--yes', '-f', created.file]);
    created.cleanup();
  }
});

const marker = uniqueMarker;

/** The lines after the plan's `Plan:` line (what the run itself said), stdout then stderr. */
function runLines(output: { stdout: string; stderr: string }): string[] {
  const stdout = output.stdout.split('\n');
  const after = stdout.slice(stdout.findIndex((line) => line.startsWith('Plan:')) + 1);
  return [...after, ...output.stderr.split('\n')].filter((line) => line.trim() !== '');
}

describe('apply progress on real processes', () => {
  it('a start that exits at once and one never ready each get one line, ✗, said nowhere else', () => {
    // crashy's settle is long so that a loaded machine cannot let `exit 3` pass as started (the
    // default 100 ms is a judgement of time); it fails at its exit, so the test does not wait it out.
    const m = marker();
    const s = tempStack(
      `version: 1\nservices:\n  crashy:\n    command: "sh -c 'exit 3'"\n    start: { settle: 5s }\n  ok:\n    command: sleep ${m}\n  notready:\n    command: sleep ${m}\n    ready: { log: never-said, timeout: 500ms, interval: 50ms }\n`,
    );
    made.push(s);
    const result = stack(['apply', '--yes', '-f', s.file]);
    expect(result.code).toBe(1);
    const lines = runLines(result);
    expect(lines.filter((line) => /\bcrashy\b/.test(line))).toEqual(['✗ crashy install + start failed: exited with code 3 right after it started']);
    expect(lines.filter((line) => /\bnotready\b/.test(line))).toEqual([expect.stringMatching(/^✗ notready install \+ start failed: not ready: log \/never-said\/: /)]);
    expect(lines.filter((line) => /\bok\b/.test(line))).toEqual([expect.stringMatching(/^✓ ok started \(\d+ms\)$/)]);
    // The summary counts the failures; nothing repeats them after it.
    expect(result.stdout.trimEnd().split('\n').at(-1)).toMatch(/^Apply finished with failures: 1 started, 2 failed \(/);
    expect(result.stderr).not.toMatch(/^error:/m);
    expect(result.stderr).toMatch(/^✗ crashy /m);
  });
});
