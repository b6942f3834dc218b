// `stack top`'s keys and live rows on a real pseudo-terminal (tmux, 100×30), read off the screen:
// a supervised restart, verbs with their confirmation, a resize, the filter, plan and apply, the log's search.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { Cleanup, type Scratch } from '../support/controller.js';
import { GIT_ENV, gitIn, touchedBy } from '../support/git-repo.js';
import { uniqueMarker } from '../support/marker.js';
import { stack, STACK_BIN } from '../support/stack-cli.js';
import { Terminal } from '../support/terminal.js';
import { waitFor } from '../support/wait.js';

const cleanup = new Cleanup();
const terminals: Terminal[] = [];
afterEach(async () => {
  for (const terminal of terminals.splice(0)) await terminal.dispose();
  await cleanup.run();
});

const marker = (): string => {
  const m = uniqueMarker();
  cleanup.marker(`sleep ${m}`);
  return m;
};

const sleeper = (name: string, m: string, extra = ''): string => `  ${name}:\n    command: [sleep, "${m}"]\n${extra}`;

/** A stack of `services` (YAML under `services:`), applied without a controller. */
function applied(services: string): Scratch {
  const s = cleanup.scratch(`version: 1\nproject: toptest\nservices:\n${services}`);
  const result = stack(['apply', '-y', '-f', s.file]);
  expect(result.code, result.stderr).toBe(0);
  return s;
}

/** `stack top` on a terminal of its own, in the stack's folder. */
function top(s: Scratch, env: Record<string, string> = {}): Terminal {
  const terminal = new Terminal([process.execPath, STACK_BIN, 'top', '-f', s.file], { cwd: s.dir, env: { NO_COLOR: '1', ...env } });
  terminals.push(terminal);
  return terminal;
}

/** A row of the table (`>` when selected): its name, provider, then `rest` (desired, observed, …). */
const row = (name: string, rest: string, selected?: boolean): RegExp => new RegExp(`\\n${selected === undefined ? '[> ]' : selected ? '>' : ' '} ${name} +process +${rest}`);

/** The screen's last line: a question, a message, or the keys. */
const statusLine = (terminal: Terminal): string => terminal.screen().trimEnd().split('\n').at(-1) ?? '';

describe('stack top on a terminal', () => {
  it('over a controller: a service killed with kill -9 turns crashed, then runs again with a new pid; its log marks the exit and the restart', async () => {
    const m = marker();
    // A backoff long enough for the crashed row to be on screen a while.
    const s = cleanup.scratch(`version: 1\nproject: toptest\ndefaults:\n  restart: { backoff: { initial: 2s, max: 2s } }\nservices:\n${sleeper('a', m)}${sleeper('b', m)}`);
    const controller = cleanup.cli(['watch', '--interval', '1s', '-f', s.file]);
    const watching = await controller.waitForStderr(/watching .*stack\.yaml \(pid (\d+)\)/, 15_000, 'the "watching" line');
    const terminal = top(s);
    // The title names the controller once its events are followed: from then on, nothing it does is missed.
    await terminal.waitForScreen(new RegExp(`^ stack top · toptest · controller \\(pid ${watching[1]}\\)\n`));
    const before = await terminal.waitForScreen(/\n> a +process +running +running +(\d+) +\S+ +0 /);
    const pid = Number(before[1]);

    process.kill(pid, 'SIGKILL');
    await terminal.waitForScreen(row('a', 'running +(crashed|restarting)', true), 15_000);
    const after = await terminal.waitForScreen(/\n> a +process +running +running +(\d+) +\S+ +1 /, 15_000);
    expect(Number(after[1])).not.toBe(pid);
    // What the new run uses is measured by the controller on a tick of its own, which no event announces.
    await terminal.waitForScreen(new RegExp(`\\n> a +process +running +running +${after[1]} +\\S+ +1 +\\S+ +[\\d.]+[BKMG] `), 15_000);
    // The other service was left alone.
    expect(terminal.screen()).toMatch(row('b', 'running +running +\\d+ +\\S+ +0 ', false));
    // The selected service's log, below the table, marks what happened, in order.
    await terminal.waitForScreen(/── log: a ─[\s\S]*a was killed by SIGKILL[\s\S]*a restarting \(restart 1 of \d+\)[\s\S]*a running again/, 15_000);
  });

  it('x asks first, naming the dependents that stop too; n and Esc leave everything as it was, y stops them and edits stack.yaml', async () => {
    const m = marker();
    const s = applied(`${sleeper('a', m)}${sleeper('b', m, '    dependsOn: [a]\n')}`);
    const yaml = readFileSync(s.file, 'utf8');
    const terminal = top(s);
    const pids = await terminal.waitForScreen(/\n> a +process +running +running +(\d+)[\s\S]*\n {2}b +process +running +running +(\d+)/);

    for (const no of ['n', 'Escape']) {
      terminal.keys('x');
      await terminal.waitForScreen(/\n stop a; also stops: b \(stack\.yaml edited\)\? y\/N/);
      terminal.keys(no);
      await terminal.waitForScreen(/\n cancelled\s*$/);
      expect(readFileSync(s.file, 'utf8')).toBe(yaml);
    }
    expect(terminal.screen()).toMatch(new RegExp(`\\n> a +process +running +running +${pids[1]} [\\s\\S]*\\n {2}b +process +running +running +${pids[2]} `));

    terminal.keys('x');
    await terminal.waitForScreen(/\n stop a; also stops: b/);
    terminal.keys('y');
    await terminal.waitForScreen(/\n> a +process +stopped +stopped +-[\s\S]*\n {2}b +process +running +stopped +-/, 15_000);
    expect(statusLine(terminal)).toMatch(/^ stack stop a: done/);
    expect(readFileSync(s.file, 'utf8')).toMatch(/\n {2}a:\n(?: {4}.*\n)* {4}state: stopped\n/);
    expect(readFileSync(s.file, 'utf8')).not.toMatch(/\n {2}b:\n(?: {4}.*\n)* {4}state:/);
  });

  it('with c on, a verb commits stack.yaml in its git repository', async () => {
    const m = marker();
    const s = applied(`${sleeper('a', m)}${sleeper('b', m)}`);
    gitIn(s.dir, 'init', '--quiet', '--initial-branch=main');
    gitIn(s.dir, 'add', 'stack.yaml');
    gitIn(s.dir, 'commit', '--quiet', '-m', 'first');
    const terminal = top(s, GIT_ENV);
    await terminal.waitForScreen(row('b', 'running +running +\\d+', false));

    terminal.keys('c', 'j');
    await terminal.waitForScreen(/^ stack top · toptest · no controller: observed every second · commit: on/);
    await terminal.waitForScreen(row('b', 'running', true));
    terminal.keys('x');
    await terminal.waitForScreen(/\n stop b \(stack\.yaml edited and committed\)\? y\/N/);
    terminal.keys('y');
    await terminal.waitForScreen(row('b', 'stopped +stopped', true), 15_000);
    // The pane closed; the last line keeps the commit's hash.
    const hash = gitIn(s.dir, 'rev-parse', '--short=7', 'HEAD');
    await terminal.waitForScreen(new RegExp(`\\n stack stop b: done · Stop complete.* · Committed stack\\.yaml as ${hash}`));
    expect(gitIn(s.dir, 'rev-list', '--count', 'HEAD')).toBe('2');
    expect(gitIn(s.dir, 'log', '-1', '--format=%s')).toBe('stack: stop b');
    expect(touchedBy(s.dir)).toEqual(['stack.yaml']);
    expect(gitIn(s.dir, 'show', 'HEAD:stack.yaml')).toMatch(/\n {2}b:\n(?: {4}.*\n)* {4}state: stopped/);
    expect(gitIn(s.dir, 'status', '--porcelain', '--', 'stack.yaml')).toBe('');
  });

  it('redraws to fit when the terminal shrinks to 80×24, and again when it grows', async () => {
    const m = marker();
    const s = applied(`${sleeper('a', m)}${sleeper('b', m)}`);
    const terminal = top(s);
    await terminal.waitForScreen(/\n> a +process +running +running +\d+[\s\S]*\n {2}b +process/);

    /** What keeps the screen from being a whole frame `columns`×`rows`: the title on top, the header under it, the log's rule as wide as the screen, the keys at the bottom. */
    const misfit = (columns: number, rows: number): string | undefined => {
      const lines = terminal.screen().replace(/\n$/, '').split('\n');
      if (lines.length !== rows) return `${lines.length} lines`;
      const wide = lines.find((line) => [...line].length > columns);
      if (wide !== undefined) return `a line wider than ${columns}: ${wide}`;
      if (!/^ stack top · toptest · no controller/.test(lines[0] ?? '')) return 'no title on the first line';
      if (!/^ {2}NAME +\S.* OBSERVED /.test(lines[1] ?? '')) return 'no header on the second line';
      if (!/^> a +process +running|^> a +running +running/.test(lines[2] ?? '')) return 'no row of a on the third line';
      if (!lines.some((line) => line.startsWith('── log: a ') && [...line].length === columns && line.endsWith('─'))) return `no rule ${columns} wide over the log`;
      if (!(lines.at(-1) ?? '').startsWith(' ↑↓ move  Enter log')) return 'no keys on the last line';
      return undefined;
    };
    terminal.resize(80, 24);
    await waitForFrame(terminal, () => misfit(80, 24), '80×24');
    // The keys line is cut where the screen ends, with …
    expect([...statusLine(terminal)]).toHaveLength(80);
    expect(statusLine(terminal).endsWith('…')).toBe(true);

    terminal.resize(130, 40);
    await waitForFrame(terminal, () => misfit(130, 40), '130×40');
    expect(statusLine(terminal).trimEnd()).toMatch(/q quit$/);
  });

  it('/ narrows the rows to the names typed, Enter keeps the filter, Esc clears it', async () => {
    const m = marker();
    const s = applied(`${sleeper('alpha', m)}${sleeper('beta', m)}${sleeper('gamma', m)}`);
    const terminal = top(s);
    await terminal.waitForScreen(/\n> alpha +process +running[\s\S]*\n {2}beta +process +running[\s\S]*\n {2}gamma +process +running/);

    terminal.keys('/');
    await terminal.waitForScreen(/\n filter: ▏ {2}\(Enter keeps, Esc cancels\)/);
    terminal.keys('bet');
    // The rows narrow as the name is typed.
    await terminal.waitForScreen(/\n filter: bet▏/);
    await terminal.waitForScreen(/\n> beta +process +running/);
    expect(terminal.screen()).not.toMatch(/\n[> ] (alpha|gamma) /);
    terminal.keys('Enter');
    await terminal.waitForScreen(/^ stack top · toptest · no controller: observed every second · filter: bet\n/);
    // The selection is on the one row left, and its log is followed.
    await terminal.waitForScreen(/\n> beta +process +running[\s\S]*── log: beta /);
    expect(terminal.screen()).not.toMatch(/\n[> ] (alpha|gamma) /);

    terminal.keys('Escape');
    await terminal.waitForScreen(/\n {2}alpha +process +running[\s\S]*\n> beta +process +running[\s\S]*\n {2}gamma +process +running/);
    expect(terminal.screen()).not.toContain('filter:');
  });

  it('p shows the plan once stack.yaml is edited by hand; a, then y, applies it and the new row runs', async () => {
    const m = marker();
    const services = `${sleeper('a', m)}${sleeper('b', m)}`;
    const s = applied(services);
    const terminal = top(s);
    const pids = await terminal.waitForScreen(/\n> a +process +running +running +(\d+)[\s\S]*\n {2}b +process +running +running +(\d+)/);

    s.write(`version: 1\nproject: toptest\nservices:\n${services}${sleeper('c', m)}`);
    await terminal.waitForScreen(/^ stack top · toptest · no controller[^\n]* · stack\.yaml differs for 1 service \(p: plan\)\n/, 15_000);
    expect(terminal.screen()).toMatch(row('c', 'running +absent +-'));
    terminal.keys('p');
    await terminal.waitForScreen(/── stack plan \(Esc closes\) ─[^\n]*\n {2}\+ c +install +new service\n {2}\+ c +start +new service\n+Plan: 1 to install, 1 to start\.\n[\s\S]*\n changes pending: a applies this plan/, 15_000);
    // Nothing was applied by looking.
    expect(terminal.screen()).not.toMatch(row('c', 'running +running'));

    terminal.keys('a');
    await terminal.waitForScreen(/\n apply this plan \(shown above\)\? y\/N/, 15_000);
    terminal.keys('y');
    await terminal.waitForScreen(row('c', 'running +running +\\d+'), 15_000);
    await terminal.waitForScreen(/\n stack apply: done · Apply complete: 1 started/);
    // Nothing differs any more; a and b were left alone.
    await terminal.waitForScreen(/^ stack top · toptest · no controller: observed every second\n/, 15_000);
    expect(terminal.screen()).toMatch(new RegExp(`\\n> a +process +running +running +${pids[1]} [\\s\\S]*\\n {2}b +process +running +running +${pids[2]} `));
  });

  it('Enter shows the log over the whole screen; a search marks the lines it finds', async () => {
    const m = marker();
    const s = applied(`  a:\n    command: [sh, -c, "echo apple pie; echo banana split; echo cherry tart; exec sleep ${m}"]\n${sleeper('b', m)}`);
    const terminal = top(s);
    await terminal.waitForScreen(/── log: a ─[\s\S]*\napple pie\s*\nbanana split\s*\ncherry tart/);

    terminal.keys('Enter');
    await terminal.waitForScreen(/^ stack top · toptest[^\n]*\n── log: a ─[^\n]*\n/);
    expect(terminal.screen()).not.toContain('NAME');
    expect(statusLine(terminal)).toMatch(/^ ↑↓ scroll {2}\/ search/);

    terminal.keys('/');
    await terminal.waitForScreen(/\n search: ▏/);
    terminal.keys('banana', 'Enter');
    await terminal.waitForScreen(/── log: a ── search: banana \(n N\) ─[\s\S]*\napple pie\s*\n» banana split\s*\ncherry tart/);

    // Esc clears the search, then leaves the full log.
    terminal.keys('Escape');
    await terminal.waitForScreen(/\napple pie\s*\nbanana split\s*\ncherry tart/);
    expect(terminal.screen()).not.toContain('»');
    terminal.keys('Escape');
    await terminal.waitForScreen(/\n {2}NAME +PROVIDER[\s\S]*── log: a ─/);
  });
});

/** Waits until the screen is a whole frame (`misfit` says nothing), or fails saying what is wrong with it. */
async function waitForFrame(terminal: Terminal, misfit: () => string | undefined, size: string): Promise<void> {
  let problem: string | undefined;
  await waitFor(() => (problem = misfit()) === undefined, 15_000, `the frame to fit ${size}`).catch((error: Error) => {
    throw new Error(`${error.message}: ${problem}\nscreen:\n${terminal.screen()}`);
  });
}
