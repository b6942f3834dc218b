import { describe, expect, it } from 'vitest';
import { movesWith } from '../../src/cli/top/moves.js';
import type { TopRow } from '../../src/cli/top/table.js';
import { initialView, press, visibleRows, withRows, type View } from '../../src/cli/top/view.js';

function row(name: string, extra: Partial<TopRow> = {}): TopRow {
  return { name, provider: 'process', enabled: true, desired: 'running', observed: 'running', pid: 100, since: null, restarts: 0, health: 'none', ports: [], ...extra };
}

// db ← api ← web, db ← worker; cache stands alone.
const DEPENDS = new Map<string, readonly string[]>([
  ['db', []],
  ['api', ['db']],
  ['web', ['api']],
  ['worker', ['db']],
  ['cache', []],
]);
const ROWS = ['db', 'api', 'web', 'worker', 'cache'].map((name) => row(name));

const context = { page: 3, logLines: [] as string[] };

function view(extra: Partial<View> = {}): View {
  return { ...initialView(ROWS), dependsOn: DEPENDS, ...extra };
}

/** Presses the keys in turn; the view after them and the effects they asked for. */
function keys(start: View, ...pressed: string[]): { view: View; effects: unknown[] } {
  let current = start;
  const effects: unknown[] = [];
  for (const key of pressed) {
    const next = press(current, key, context);
    current = next.view;
    if (next.effect) effects.push(next.effect);
  }
  return { view: current, effects };
}

describe('what moves with a verb in stack top', () => {
  it('a stop takes down whatever runs and depends on the service, however indirectly', () => {
    expect(movesWith('stop', 'db', ROWS, DEPENDS)).toMatchObject({ verb: 'stops', names: ['api', 'worker', 'web'] });
    expect(movesWith('disable', 'api', ROWS, DEPENDS).names).toEqual(['web']);
    expect(movesWith('stop', 'cache', ROWS, DEPENDS).names).toEqual([]);
  });

  it('a stop leaves out dependents that are not running', () => {
    const rows = ROWS.map((each) => (each.name === 'web' ? { ...each, observed: 'stopped', pid: null } : each));
    expect(movesWith('stop', 'db', rows, DEPENDS).names).toEqual(['api', 'worker']);
  });

  it('a start brings up the dependencies that are down and that stack.yaml wants running; a restart moves nothing else', () => {
    const rows = ROWS.map((each) => (each.name === 'web' ? each : { ...each, observed: 'stopped', pid: null }));
    expect(movesWith('start', 'web', rows, DEPENDS)).toMatchObject({ verb: 'starts', names: ['api', 'db'] });
    const dbKeptStopped = rows.map((each) => (each.name === 'db' ? { ...each, desired: 'stopped' as const } : each));
    expect(movesWith('enable', 'web', dbKeptStopped, DEPENDS).names).toEqual(['api']);
    expect(movesWith('restart', 'db', ROWS, DEPENDS).names).toEqual([]);
  });

  it('a start also names what stopped only because the service stopped', () => {
    const rows = ROWS.map((each) => (each.name === 'db' ? { ...each, observed: 'stopped', pid: null } : ['api', 'worker'].includes(each.name) ? { ...each, observed: 'stopped', pid: null, stoppedWith: 'db' } : each));
    expect(movesWith('start', 'db', rows, DEPENDS).names).toEqual(['api', 'worker']);
  });

  it('a dependency cycle in the map does not loop', () => {
    const cyclic = new Map<string, readonly string[]>([
      ['a', ['b']],
      ['b', ['a']],
    ]);
    expect(movesWith('stop', 'a', [row('a'), row('b')], cyclic).names).toEqual(['b']);
  });
});

describe('keys of stack top', () => {
  it('j and k move the selection within the rows, and a move asks for the new log', () => {
    const moved = keys(view(), 'j', 'j', 'k');
    expect(moved.view.selected).toBe('api');
    expect(moved.effects).toEqual([{ type: 'follow' }, { type: 'follow' }, { type: 'follow' }]);
    expect(keys(view(), 'k').effects).toEqual([]);
    expect(keys(view(), 'G').view.selected).toBe('cache');
    expect(keys(view(), '\u001b[6~').view.selected).toBe('worker');
  });

  it('a verb asks first, naming what moves with it; y carries it out, anything else cancels', () => {
    const asked = keys(view(), 'x');
    expect(asked.view.confirm?.prompt).toBe('stop db; also stops: api, worker, web (stack.yaml edited)? y/N');
    expect(asked.effects).toEqual([]);
    expect(keys(asked.view, 'y').effects).toEqual([{ type: 'verb', verb: 'stop', service: 'db', commit: false }]);
    const cancelled = keys(asked.view, 'n');
    expect(cancelled.effects).toEqual([]);
    expect(cancelled.view.confirm).toBeUndefined();
    // q at a question cancels it; it does not quit.
    expect(keys(asked.view, 'q').effects).toEqual([]);
  });

  it('c turns committing on for the verbs that edit stack.yaml, not for restart', () => {
    const on = keys(view(), 'c');
    expect(on.view.commit).toBe(true);
    expect(keys(on.view, 'd', 'y').effects).toEqual([{ type: 'verb', verb: 'disable', service: 'db', commit: true }]);
    expect(keys(on.view, 'r').view.confirm?.prompt).toBe('restart db? y/N');
    expect(keys(on.view, 'r', 'y').effects).toEqual([{ type: 'verb', verb: 'restart', service: 'db', commit: false }]);
  });

  it('no second run while one is under way', () => {
    const busy = keys(view({ busy: true }), 'x', 'p');
    expect(busy.effects).toEqual([]);
    expect(busy.view.confirm).toBeUndefined();
    expect(busy.view.message?.text).toMatch(/under way/);
  });

  it('p plans, a plans then asks to apply', () => {
    expect(keys(view(), 'p').effects).toEqual([{ type: 'plan', thenApply: false }]);
    expect(keys(view(), 'a').effects).toEqual([{ type: 'plan', thenApply: true }]);
  });

  it('/ filters by name as it is typed; Enter keeps it, Esc restores the one before', () => {
    const typing = keys(view(), '/', 'w', 'o');
    expect(visibleRows(typing.view).map((each) => each.name)).toEqual(['worker']);
    // The selection follows to a row that is shown.
    expect(typing.view.selected).toBe('worker');
    const kept = keys(typing.view, '\r');
    expect(kept.view.filter).toBe('wo');
    expect(kept.view.typing).toBeUndefined();
    expect(keys(kept.view, '/', 'x', '\u001b').view.filter).toBe('wo');
    // Backspace, and an arrow key is not typed into the name.
    expect(keys(view(), '/', 'a', 'b', '\u007f', '\u001b[A').view.typing?.text).toBe('a');
    // Esc outside typing clears the filter.
    expect(keys(kept.view, '\u001b').view.filter).toBe('');
  });

  it('Enter opens the full log; there / searches and n finds older lines, N newer', () => {
    const logLines = ['boot', 'error: one', 'ok', 'error: two', 'ok', 'ok'];
    const withLog = { page: 2, logLines };
    let current = press(view(), '\r', withLog).view;
    expect(current.fullLog).toBe(true);
    for (const key of ['/', 'e', 'r', 'r', '\r']) current = press(current, key, withLog).view;
    expect(current.search).toBe('err');
    current = press(current, 'n', withLog).view;
    // The newest match ends the page: 'error: two' is line 3 of 6, two lines up from the end.
    expect(current.scroll).toBe(2);
    current = press(current, 'n', withLog).view;
    expect(current.scroll).toBe(4);
    expect(press(current, 'n', withLog).view.message?.text).toBe('"err": no older line');
    current = press(current, 'N', withLog).view;
    expect(current.scroll).toBe(2);
    // G follows the end again; Esc clears the search, then leaves the full log.
    expect(press(current, 'G', withLog).view.scroll).toBe(0);
    current = press(current, '\u001b', withLog).view;
    expect(current.search).toBe('');
    expect(press(current, '\u001b', withLog).view.fullLog).toBe(false);
  });

  it('the keys that act work in the full log too', () => {
    const full = press(view(), '\r', context).view;
    expect(keys(full, 'c').view.commit).toBe(true);
    expect(keys(full, 'p').effects).toEqual([{ type: 'plan', thenApply: false }]);
    expect(keys(full, 'x').view.confirm?.prompt).toMatch(/^stop db/);
  });

  it('q and Ctrl+C quit; Ctrl+C even while typing', () => {
    expect(keys(view(), 'q').effects).toEqual([{ type: 'quit' }]);
    expect(keys(view(), '/', '\u0003').effects).toEqual([{ type: 'quit' }]);
  });

  it('new rows keep the selection on its service, or move it to the nearest row when it went away', () => {
    const onWeb = view({ selected: 'web' });
    expect(withRows(onWeb, [...ROWS].reverse()).view.selected).toBe('web');
    const gone = withRows(onWeb, ROWS.filter((each) => each.name !== 'web'));
    expect(gone.view.selected).toBe('worker');
    expect(gone.effect).toEqual({ type: 'follow' });
  });
});
