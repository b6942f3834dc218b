// One semantics, with or without a controller: each verb leaves the same services running, says
// the same and exits the same, whether `stack` carries it out itself or a running `stack watch`
// does (through its API). Real processes; the running set is read from /proc (each service's own
// `sleep`), not from stack's records.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stack, waitFor, type CliResult } from '../support/stack-cli.js';
import { Cleanup, sleepsWith, statusJson, type Scratch } from '../support/controller.js';
import { uniqueMarker } from '../support/marker.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const NAMES = ['db', 'web', 'nginx', 'other'] as const;

const marker = () => {
  const m = uniqueMarker();
  cleanup.marker(`sleep ${m}`);
  return m;
};

// db <- web <- nginx, and other, which needs nothing.
const yaml = (m: string) =>
  [
    'version: 1',
    'services:',
    ...NAMES.flatMap((name, index) => [
      `  ${name}:`,
      `    command: sleep ${m}${index}`,
      '    stop: { timeout: 1s }',
      ...(name === 'web' ? ['    dependsOn: [db]'] : name === 'nginx' ? ['    dependsOn: [web]'] : []),
    ]),
    '',
  ].join('\n');

/** The services whose process is alive, by the `sleep` each one runs. */
function running(m: string): string[] {
  const alive = new Set(sleepsWith(m).map((proc) => Number(proc.cmdline.split(' ')[1]?.slice(m.length))));
  return NAMES.filter((_, index) => alive.has(index));
}

/** How a verb reaches the services: stack itself, or through a running controller. */
interface Mode {
  name: string;
  begin(s: Scratch): Promise<void>;
  /** Runs one verb and returns once what it asked for has been carried out. */
  verb(s: Scratch, args: string[]): Promise<CliResult>;
}

const daemonless: Mode = {
  name: 'without a controller',
  async begin(s) {
    expect(stack(['apply', '--yes', '-f', s.file]).code).toBe(0);
  },
  async verb(s, args) {
    const result = stack([...args, '-f', s.file]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).not.toMatch(/is reconciling this stack/);
    return result;
  },
};

const controller: Mode = {
  name: 'under stack watch',
  async begin(s) {
    // A long interval: nothing moves but what the verbs ask for.
    const watch = cleanup.cli(['watch', '--interval', '10m', '-f', s.file]);
    await watch.waitForStderr(/watching .*stack\.yaml \(pid \d+\)/, 10_000, 'the "watching" line');
    await waitFor(() => existsSync(join(s.dir, '.stack', 'api.sock')), 10_000, "the controller's API");
  },
  async verb(s, args) {
    // The controller carries the verb out before it answers: nothing to wait for after.
    const result = stack([...args, '-f', s.file]);
    expect(result.code, result.stderr).toBe(0);
    expect(`${result.stdout}${result.stderr}`).not.toMatch(/is reconciling this stack|handing the restart to the controller/);
    return result;
  },
};

/** What a verb said, comparable across modes: durations and pids vary, the order of lines of parallel work too. */
const said = (text: string) => text.replace(/\(\d+(\.\d+)?\s?(ms|s)\)/g, '(…)').replace(/pid \d+/g, 'pid …').replace(/stack-test-\w+/g, 'stack-test-…').split('\n').filter(Boolean).sort();

/** Each scenario's act as each mode carried it out, compared once both ran. */
const acts = new Map<string, Map<string, CliResult>>();
const recordAct = (scenario: string, mode: string, result: CliResult) => acts.set(scenario, (acts.get(scenario) ?? new Map()).set(mode, result));

interface Scenario {
  verb: string;
  /** Verbs run first, in the same mode. */
  setup: string[][];
  act: string[];
  expected: string[];
}

const ALL = [...NAMES];
const scenarios: Scenario[] = [
  { verb: 'stop', setup: [], act: ['stop', 'db'], expected: ['other'] },
  { verb: 'disable', setup: [], act: ['disable', 'db'], expected: ['other'] },
  { verb: 'start', setup: [['stop', 'db']], act: ['start', 'db'], expected: ALL },
  { verb: 'enable', setup: [['disable', 'db']], act: ['enable', 'db'], expected: ALL },
  { verb: 'restart', setup: [], act: ['restart', 'db'], expected: ALL },
  // What the user stopped stays stopped, and so does what needs it.
  { verb: 'start (web stopped by hand meanwhile)', setup: [['stop', 'db'], ['stop', 'web']], act: ['start', 'db'], expected: ['db', 'other'] },
];

describe.each([daemonless, controller])('verbs $name', (mode) => {
  it.each(scenarios)('$verb leaves the same services running', async ({ setup, act, expected }) => {
    const m = marker();
    const s = cleanup.scratch(yaml(m));
    await mode.begin(s);
    await waitFor(() => running(m).length === NAMES.length, 10_000, 'every service to run');
    for (const args of setup) await mode.verb(s, args);
    const dbBefore = s.state().services.db?.pid;
    const result = await mode.verb(s, act);
    recordAct(act.join(' ') + setup.map((args) => ` after ${args.join(' ')}`).join(''), mode.name, result);
    expect(running(m)).toEqual(expected);
    // Each running service's recorded pid is the process found alive.
    const records = s.state().services;
    for (const name of expected) expect(sleepsWith(m).map((proc) => proc.pid)).toContain(records[name]?.pid);
    // A start forgets that the service had stopped with a dependency.
    for (const name of expected) expect((records[name] as { stoppedWith?: string }).stoppedWith).toBeUndefined();
    if (act[0] === 'restart') expect(records.db?.pid).not.toBe(dbBefore);
    if (act[0] === 'stop') {
      expect(result.stderr).toContain('note: web depends on db: it stops with db and starts again with `stack start db` (`stack stop web` keeps it stopped)\n');
      expect(result.stderr).toContain('note: nginx depends on web: it stops with web and starts again with `stack start db`');
      // Why each dependent stopped is recorded, and said.
      const details = statusJson(s.file).services.map((row) => `${row.name}: ${row.detail ?? '-'}`);
      expect(details).toEqual(['db: -', 'web: stopped with its dependency db', 'nginx: stopped with its dependency web', 'other: -']);
    }
  });
});

describe('verbs both ways', () => {
  it('each verb says the same and exits the same with a controller as without', () => {
    expect(acts.size).toBe(scenarios.length);
    for (const [scenario, byMode] of acts) {
      const [without, under] = [byMode.get(daemonless.name), byMode.get(controller.name)];
      expect(under?.code, scenario).toBe(without?.code);
      expect(said(under?.stdout ?? ''), scenario).toEqual(said(without?.stdout ?? ''));
      expect(said(under?.stderr ?? ''), scenario).toEqual(said(without?.stderr ?? ''));
    }
  });

  // A change only an apply makes: `other` (restart policy no) died, and a controller leaves it so
  // until asked; the file is not edited, which a controller would act on by itself.
  it.each([daemonless, controller])('apply --json $name: the same body, by shape, and exit 0', async (mode) => {
    const m = marker();
    const s = cleanup.scratch(yaml(m).replace(`sleep ${m}3\n`, `sleep ${m}3\n    restart: { policy: no }\n`));
    await mode.begin(s);
    await waitFor(() => running(m).length === NAMES.length, 10_000, 'every service to run');
    const other = sleepsWith(m).find((proc) => proc.cmdline.split(' ')[1] === `${m}3`);
    process.kill(other?.pid as number, 'SIGKILL');
    await waitFor(() => statusJson(s.file).services.find((row) => row.name === 'other')?.observed !== 'running', 10_000, 'other to be seen gone');
    const result = stack(['apply', '--yes', '--json', '-f', s.file]);
    expect(result.code, result.stderr).toBe(0);
    const body = JSON.parse(result.stdout) as { outcome: { services: { service: string; ops: string[]; status: string }[] } };
    expect(Object.keys(body)).toEqual(['formatVersion', 'project', 'plan', 'outcome']);
    expect(body).toMatchObject({ formatVersion: 1, plan: { formatVersion: 1, actions: [{ service: 'other', op: 'start' }] }, outcome: { interrupted: false, failed: 0, skipped: 0 } });
    expect(body.outcome.services.map(({ service, ops, status }) => ({ service, ops, status }))).toEqual([{ service: 'other', ops: ['start'], status: 'done' }]);
    expect(running(m)).toEqual(ALL);
  });
});

describe('a controller and the CLI share the parse cache', () => {
  it('after a verb the controller carried out, the cache holds the edited text, so the next command does not parse it again', async () => {
    const m = marker();
    const s = cleanup.scratch(yaml(m));
    const env = { XDG_CACHE_HOME: join(s.dir, 'cache-home') };
    const cacheDir = join(env.XDG_CACHE_HOME, 'stack', 'parse');
    const watch = cleanup.cli(['watch', '--interval', '10m', '-f', s.file], { env });
    await watch.waitForStderr(/watching .*stack\.yaml \(pid \d+\)/, 10_000, 'the "watching" line');
    await waitFor(() => existsSync(join(s.dir, '.stack', 'api.sock')), 10_000, "the controller's API");
    const result = stack(['stop', 'other', '-f', s.file], { env });
    expect(result.code, result.stderr).toBe(0);
    const edited = readFileSync(s.file, 'utf8');
    expect(edited).toContain('state: stopped');
    // The CLI read the text before the edit; the controller made and loaded the edited one.
    const saved = () => readdirSync(cacheDir).map((name) => (JSON.parse(readFileSync(join(cacheDir, name), 'utf8')) as { text: string }).text);
    await waitFor(() => saved().includes(edited), 10_000, 'the edited text in the parse cache');
    expect(saved()).toEqual([edited]);
  });
});
