// `stack top` as people run it: on a real pseudo-terminal (tmux, 100×30), read off the screen.
import { afterEach, describe, expect, it } from 'vitest';
import { Cleanup, type Scratch } from '../support/controller.js';
import { stack, STACK_BIN } from '../support/stack-cli.js';
import { Terminal } from '../support/terminal.js';
import { uniqueMarker } from '../support/marker.js';

const cleanup = new Cleanup();
const terminals: Terminal[] = [];
afterEach(async () => {
  for (const terminal of terminals.splice(0)) await terminal.dispose();
  await cleanup.run();
});

/** Two `sleep` services, applied (no controller). */
function twoSleeps(): Scratch {
  const m = uniqueMarker();
  cleanup.marker(`sleep ${m}`);
  const s = cleanup.scratch(`version: 1\nproject: toptest\nservices:\n  first:\n    command: [sleep, "${m}"]\n  second:\n    command: [sleep, "${m}"]\n`);
  const applied = stack(['apply', '-y', '-f', s.file]);
  expect(applied.code, applied.stderr).toBe(0);
  return s;
}

describe('stack top', () => {
  it.each([['q'], ['C-c']])('shows the services, moves the selection with j, and %s gives the terminal back as it was', async (quit) => {
    const s = twoSleeps();
    // A shell runs it, then `cat`: typed text echoes (and cat repeats it) only on a terminal given back in its usual mode.
    const script = `${JSON.stringify(process.execPath)} ${JSON.stringify(STACK_BIN)} top -f ${JSON.stringify(s.file)}; echo "top ended with $?"; exec cat`;
    const terminal = new Terminal(['sh', '-c', script], { cwd: s.dir, env: { NO_COLOR: '1' } });
    terminals.push(terminal);
    await terminal.waitForScreen(/> first +process +running +running +\d+[\s\S]*\n {2}second +process +running +running +\d+/);
    expect(terminal.screen()).toContain('no controller: observed every second');
    expect(terminal.alternateScreen()).toBe(true);
    terminal.keys('j');
    await terminal.waitForScreen(/\n {2}first [\s\S]*\n> second [\s\S]*── log: second/);
    terminal.keys(quit);
    await terminal.waitForScreen(/top ended with 0/, 10_000);
    // The alternate screen is left: the table is gone from the terminal.
    expect(terminal.alternateScreen()).toBe(false);
    expect(terminal.screen()).not.toContain('stack top ·');
    terminal.keys('typed', 'Enter');
    await terminal.waitForScreen(/top ended with 0\ntyped\ntyped\n/);
  });

  it('--once prints one frame without a terminal', () => {
    const s = twoSleeps();
    const result = stack(['top', '--once', '-f', s.file]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^ stack top · toptest · no controller/);
    expect(result.stdout).toMatch(/\n> first +process +running +running +\d+/);
    expect(result.stdout).toMatch(/\n {2}second +process +running +running +\d+/);
    expect(result.stdout).not.toContain('\u001b');
  });

  it('says in one line that it needs a terminal when it has none', () => {
    const s = twoSleeps();
    const result = stack(['top', '-f', s.file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('error: `stack top` needs a terminal, and this is not one\nhint: `stack top --once` prints one frame; `stack status` a table\n');
    expect(result.stdout).toBe('');
  });
});
