// `stack watch` on real processes: hot add/remove, invalid edits, supervision, the lock, adoption.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { isAlive, stack, waitFor } from '../support/stack-cli.js';
import { Cleanup, lockOf, passRecordOf, rowOf, sleepsWith, statusJson, waitForPasses, type Scratch } from '../support/controller.js';
import { uniqueMarker } from '../support/marker.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const marker = () => {
  const m = uniqueMarker();
  cleanup.marker(`sleep ${m}`);
  return m;
};

/** Fast restarts, so supervision tests take milliseconds rather than seconds. */
const FAST = 'defaults:\n  restart: { backoff: { initial: 100ms, max: 200ms } }\n';
const sleeper = (name: string, m: string, extra = '') => `  ${name}:\n    command: sleep ${m}\n${extra}`;

const pidsOf = (s: Scratch) => Object.fromEntries(Object.entries(s.state().services).map(([name, record]) => [name, record.pid]));

/** Starts `stack watch --interval 1s` and waits until it has reconciled once and watches the file. */
async function watch(s: Scratch, interval = '1s') {
  const controller = cleanup.cli(['watch', '--interval', interval, '-f', s.file]);
  await controller.waitForStderr(/watching .*stack\.yaml \(pid (\d+)\)/, 10_000, 'the "watching" line');
  return controller;
}

describe('stack watch on real processes', () => {
  it('hot add: a service appended to stack.yaml starts; the others keep their pids', async () => {
    const m = marker();
    const yaml = `version: 1\n${FAST}services:\n${sleeper('a', m)}${sleeper('b', m)}`;
    const s = cleanup.scratch(yaml);
    const controller = await watch(s);
    expect(sleepsWith(m)).toHaveLength(2);
    const before = pidsOf(s);

    s.write(`${yaml}${sleeper('c', m)}`);
    await waitFor(() => sleepsWith(m).length === 3, 5000, 'the third service to start');
    const after = await waitFor(() => { const pids = pidsOf(s); return pids.c ? pids : undefined; }, 5000, 'c to be recorded');
    expect(after.a).toBe(before.a);
    expect(after.b).toBe(before.b);
    expect(isAlive(before.a as number) && isAlive(before.b as number)).toBe(true);
    // Only what changed was acted on.
    expect(controller.stderr()).toMatch(/reconciling \(changed: stack\.yaml\): install c, start c\n/);
  });

  it('says a warning of the file once, not on every pass, and again once it changes', async () => {
    const m = marker();
    const yaml = (variable: string) => `version: 1\n${FAST}services:\n${sleeper('a', m, `    env: { LEVEL: "${variable}" }\n`)}`;
    const s = cleanup.scratch(yaml('$LEVEL_UNSET'));
    const controller = await watch(s);
    const warned = /warning: \S*stack\.yaml:\d+:\d+: services\.a\.env\.LEVEL: variable (\w+) is not set/g;
    // Two more passes at the 1s interval, each loading the file again.
    await waitForPasses(s.dir, 2, 10_000);
    expect([...controller.stderr().matchAll(warned)].map((match) => match[1])).toEqual(['LEVEL_UNSET']);
    s.write(yaml('$OTHER_UNSET'));
    await controller.waitForStderr(/variable OTHER_UNSET is not set/, 5000, 'the new warning');
    expect([...controller.stderr().matchAll(warned)].map((match) => match[1])).toEqual(['LEVEL_UNSET', 'OTHER_UNSET']);
  });

  it('hot remove: a service set to enabled: false stops; the others keep their pids', async () => {
    const m = marker();
    const yaml = (bEnabled: string) => `version: 1\n${FAST}services:\n${sleeper('a', m)}${sleeper('b', m, bEnabled)}${sleeper('c', m)}`;
    const s = cleanup.scratch(yaml(''));
    await watch(s);
    const before = pidsOf(s);
    expect(sleepsWith(m)).toHaveLength(3);

    s.write(yaml('    enabled: false\n'));
    await waitFor(() => !isAlive(before.b as number), 5000, "b's process to go away");
    await waitFor(() => sleepsWith(m).length === 2, 5000, 'two services left');
    const after = pidsOf(s);
    expect(after.a).toBe(before.a);
    expect(after.c).toBe(before.c);
    expect(rowOf(s.file, 'b')?.desired).toBe('absent');
  });

  it("an edit of a service's stop alone moves nothing and is recorded, for when the service leaves the file", async () => {
    const m = marker();
    const yaml = (stop: string) => `version: 1\n${FAST}services:\n${sleeper('a', m)}${sleeper('b', m, `    dependsOn: [a]\n${stop}`)}`;
    const s = cleanup.scratch(yaml(''));
    await watch(s);
    const before = pidsOf(s);
    expect(s.state().services.b).toMatchObject({ stop: { signal: 'SIGTERM', timeoutMs: 10_000 }, dependsOn: ['a'] });

    s.write(yaml('    stop: { signal: SIGINT, timeout: 3s }\n'));
    await waitFor(() => s.state().services.b?.stop?.signal === 'SIGINT', 5000, "b's new stop to be recorded");
    expect(s.state().services.b?.stop).toEqual({ signal: 'SIGINT', timeoutMs: 3000, timeoutWritten: true });
    expect(pidsOf(s)).toEqual(before);
  });

  it('an invalid edit prints the error with line:col and keeps services running; a fixed file reconciles', async () => {
    const m = marker();
    const yaml = `version: 1\n${FAST}services:\n${sleeper('a', m)}${sleeper('b', m)}`;
    const s = cleanup.scratch(yaml);
    const controller = await watch(s);
    const before = pidsOf(s);

    // Garbage: not even YAML.
    s.write(`${yaml}  c: [\n   :: }\n`);
    const garbage = await controller.waitForStderr(/stack\.yaml is invalid[^\n]*\n\s*error: [^\n]*\n\s*\S*stack\.yaml:(\d+):(\d+): invalid YAML/, 5000, 'the YAML error');
    expect([garbage[1], garbage[2]]).toEqual(['10', '7']);
    expect(pidsOf(s)).toEqual(before);
    const seen = controller.stderr().length;
    // A misspelled key.
    s.write(`${yaml}  c:\n    comand: sleep ${m}\n`);
    const misspelled = await controller.waitForStderr(/\S*stack\.yaml:(\d+):(\d+): services\.c\.comand: unknown key "comand" \(did you mean "command"\?\)/, 5000, 'the unknown-key error', seen);
    expect([misspelled[1], misspelled[2]]).toEqual(['10', '5']);
    expect(controller.result()).toBeUndefined();
    expect(pidsOf(s)).toEqual(before);
    expect(sleepsWith(m).map((proc) => proc.pid).sort()).toEqual([before.a, before.b].sort());

    // Fixed, with a change: the new service starts, the others are left alone.
    s.write(`${yaml}${sleeper('c', m)}`);
    await waitFor(() => sleepsWith(m).length === 3, 5000, 'c to start once the file is fixed');
    const after = await waitFor(() => { const pids = pidsOf(s); return pids.c ? pids : undefined; }, 5000, 'c to be recorded');
    expect(after.a).toBe(before.a);
    expect(after.b).toBe(before.b);
    expect(sleepsWith(m).map((proc) => proc.pid)).toContain(after.c);
  });

  it('kill -9 of a service it started: restarted, restarts = 1, a new pid', async () => {
    const m = marker();
    const s = cleanup.scratch(`version: 1\n${FAST}services:\n${sleeper('a', m)}${sleeper('b', m)}`);
    await watch(s);
    const before = pidsOf(s);
    process.kill(before.a as number, 'SIGKILL');
    const row = await waitFor(() => { const r = rowOf(s.file, 'a'); return r?.observed === 'running' && r.pid !== before.a ? r : undefined; }, 5000, 'a to be restarted');
    expect(row.restarts).toBe(1);
    expect(row.pid).not.toBe(before.a);
    expect(sleepsWith(m).map((proc) => proc.pid)).toContain(row.pid);
    expect(rowOf(s.file, 'b')).toMatchObject({ pid: before.b, restarts: 0 });
  });

  it('a run whose leader exits leaves nothing behind: what it forked is stopped before the restart', async () => {
    const m = marker();
    // The shell exits at once and leaves `sleep` running in its group, as `server &` would.
    const s = cleanup.scratch(`version: 1\n${FAST}services:\n  leaky:\n    command: [sh, -c, "sleep ${m} & sleep 0.2; exit 3"]\n`);
    await watch(s);
    const counts: number[] = [];
    await waitFor(() => {
      counts.push(sleepsWith(m).length);
      return (s.state().services.leaky?.restarts ?? 0) >= 3;
    }, 10_000, 'three restarts');
    // Never two runs' children at once: each restart came after the last run's group was gone.
    expect(Math.max(...counts)).toBeLessThanOrEqual(1);
    const down = stack(['down', '--yes', '-f', s.file]);
    expect(down.code, down.stderr).toBe(0);
    expect(sleepsWith(m)).toHaveLength(0);
  });

  it('an adopted run (started by apply) also ends with its leader: what it forked is stopped, then it restarts', async () => {
    const m = marker();
    // The shell leaves `sleep` running in its group and exits once the test says so.
    const s = cleanup.scratch(`version: 1\n${FAST}services:\n  leaky:\n    command: [sh, -c, "sleep ${m} & while [ ! -e go ]; do sleep 0.05; done; rm go; exit 3"]\n`);
    expect(stack(['apply', '--yes', '-f', s.file]).code).toBe(0);
    const [first] = await waitFor(() => (sleepsWith(m).length === 1 ? sleepsWith(m) : undefined), 5000, "the first run's sleep");
    const controller = await watch(s);
    expect(pidsOf(s).leaky).toBeDefined();

    writeFileSync(join(s.dir, 'go'), '');
    const counts: number[] = [];
    await waitFor(() => {
      counts.push(sleepsWith(m).length);
      return (s.state().services.leaky?.restarts ?? 0) >= 1 && !isAlive(first?.pid as number);
    }, 10_000, 'the leftover stopped and the service restarted');
    // Never the old run's sleep beside the new one's.
    expect(Math.max(...counts)).toBeLessThanOrEqual(1);
    expect(controller.stderr()).toMatch(/leaky: its leader pid \d+ exited; 1 process\(es\) of its group still run; stopping them/);
    // The new run's sleep, and no other.
    const [second] = await waitFor(() => (sleepsWith(m).length === 1 ? sleepsWith(m) : undefined), 5000, "the new run's sleep");
    expect(second?.pid).not.toBe(first?.pid);
  });

  it('closing while what a run left is being stopped abandons that stop: no restart, no wait for stop.timeout', async () => {
    const m = marker();
    // The leftover ignores SIGTERM, so its stop would wait the whole stop.timeout.
    const s = cleanup.scratch(`version: 1\n${FAST}services:\n  leaky:\n    command: [sh, -c, "(trap '' TERM; exec sleep ${m}) & sleep 0.2; exit 3"]\n    stop: { timeout: 30s }\n`);
    const controller = await watch(s);
    const leftover = await waitFor(() => {
      const [sleep] = sleepsWith(m);
      return sleep && !isAlive(s.state().services.leaky?.pid as number) ? sleep : undefined;
    }, 5000, 'the leader to exit, leaving its sleep');
    controller.child.kill('SIGTERM');
    const result = await waitFor(() => controller.result(), 10_000, 'the controller to exit, well before stop.timeout');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toMatch(/leaky restarting/);
    // Still recorded: status sees the leftover as the service's run, and it is the only sleep.
    expect(sleepsWith(m).map((proc) => proc.pid)).toEqual([leftover.pid]);
    expect(rowOf(s.file, 'leaky')?.observed).toBe('running');
  });

  it('a failing health check restarts the service through the restart policy', async () => {
    const m = marker();
    const s = cleanup.scratch(
      `version: 1\n${FAST}services:\n${sleeper('a', m, '    health: { exec: [test, -f, healthy], interval: 200ms, timeout: 1s, failureThreshold: 2 }\n')}`,
      { healthy: '' },
    );
    const controller = await watch(s);
    const before = pidsOf(s);
    rmSync(join(s.dir, 'healthy'));
    await controller.waitForStderr(/a: unhealthy \([^)]*\), 2 failed checks in a row/, 5000, 'the unhealthy line');
    writeFileSync(join(s.dir, 'healthy'), '');
    const row = await waitFor(() => { const r = rowOf(s.file, 'a'); return r?.observed === 'running' && r.pid !== before.a ? r : undefined; }, 5000, 'a to be restarted');
    expect(row.restarts).toBe(1);
    expect(isAlive(before.a as number)).toBe(false);
    expect(sleepsWith(m).map((proc) => proc.pid)).toEqual([row.pid]);
  });

  it('a crash loop stops after exactly maxRestarts restarts and stays crashed', async () => {
    const m = marker();
    const s = cleanup.scratch(
      `version: 1\nservices:\n${sleeper('steady', m)}  crashy:\n    command: [sh, -c, "exit 1"]\n    restart: { maxRestarts: 3, backoff: { initial: 50ms, max: 100ms } }\n`,
    );
    const controller = await watch(s);
    await controller.waitForStderr(/crashy keeps crashing: gave up after 3 restarts/, 8000, 'the give-up');
    await waitFor(() => s.state().services.crashy?.restarts === 3 && (s.state().services.crashy as { gaveUp?: boolean }).gaveUp, 3000, 'the give-up in the state file');
    expect(rowOf(s.file, 'crashy')).toMatchObject({ observed: 'crashed', restarts: 3 });

    // Two more passes (the interval is 1 s): the count must stay 3 and the service crashed.
    const counts: number[] = [];
    await waitForPasses(s.dir, 2, 5000, () => counts.push(s.state().services.crashy?.restarts ?? -1));
    expect(counts).toEqual([3, 3]);
    expect(rowOf(s.file, 'crashy')).toMatchObject({ observed: 'crashed', restarts: 3 });
    expect(controller.stderr().match(/crashy restarting/g)).toHaveLength(3);
    expect(controller.stderr()).not.toMatch(/restarting \(restart 4\)/);
    expect(controller.result()).toBeUndefined();

    // A change to its spec is a new chance.
    s.write(`version: 1\nservices:\n${sleeper('steady', m)}${sleeper('crashy', m, '    restart: { maxRestarts: 3, backoff: { initial: 50ms, max: 100ms } }\n')}`);
    await waitFor(() => sleepsWith(m).length === 2, 5000, 'crashy to start again once its spec changed');
    await waitFor(() => rowOf(s.file, 'crashy')?.observed === 'running', 5000, 'crashy to be running');
  });

  it('with a zero backoff, every restart is still counted and reported, and the loop gives up', async () => {
    const s = cleanup.scratch(`version: 1\nservices:\n  crashy:\n    command: [sh, -c, "exit 1"]\n    restart: { maxRestarts: 3, backoff: { initial: 0ms, max: 0ms } }\n`);
    const controller = await watch(s);
    await controller.waitForStderr(/crashy keeps crashing: gave up after 3 restarts/, 8000, 'the give-up');
    await waitFor(() => s.state().services.crashy?.restarts === 3 && (s.state().services.crashy as { gaveUp?: boolean }).gaveUp, 3000, 'the give-up in the state file');
    expect(controller.stderr().match(/crashy restarting/g)).toHaveLength(3);
    expect(rowOf(s.file, 'crashy')).toMatchObject({ observed: 'crashed', restarts: 3 });
  });

  it('apply while a controller runs is carried out by it (never exit 7); status works and notes the controller', async () => {
    const m = marker();
    const s = cleanup.scratch(`version: 1\n${FAST}services:\n${sleeper('a', m)}`);
    const controller = await watch(s);
    const before = pidsOf(s);

    const apply = stack(['apply', '--yes', '-f', s.file]);
    expect(apply.code, apply.stderr).toBe(0);
    expect(apply.stdout).toContain('No changes.');
    expect(lockOf(s.dir)?.pid).toBe(controller.pid);

    const human = stack(['status', '-f', s.file]);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/^a\s+process\s+running\s+running\s+/m);
    expect(human.stderr).toMatch(new RegExp(`note: .*pid ${controller.pid}.*stack watch`));

    const json = statusJson(s.file);
    expect(json.notice).toMatch(new RegExp(`pid ${controller.pid}.*stack watch`));
    expect(json.services[0]).toMatchObject({ name: 'a', observed: 'running', pid: before.a });
    expect(pidsOf(s)).toEqual(before);
  });

  it('plan and logs work while a controller runs and note that it is active', async () => {
    const m = marker();
    const s = cleanup.scratch(`version: 1\n${FAST}services:\n  talker:\n    command: [sh, -c, "echo hello ${m}; exec sleep ${m}"]\n`);
    const controller = await watch(s);
    const note = new RegExp(`note: .*pid ${controller.pid}.*stack watch`);

    const plan = stack(['plan', '-f', s.file]);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain('No changes');
    expect(plan.stderr).toMatch(note);
    const planJson = stack(['plan', '--json', '-f', s.file]);
    expect(planJson.code, planJson.stderr).toBe(0);
    expect((JSON.parse(planJson.stdout) as { actions: unknown[] }).actions).toEqual([]);

    await waitFor(() => stack(['-f', s.file, 'logs', 'talker']).stdout.includes(`talker | hello ${m}`), 5000, "talker's log line");
    const logs = stack(['-f', s.file, 'logs', 'talker']);
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stderr).toMatch(note);
  });

  it("an editor's save by rename (new inode) is seen", async () => {
    const m = marker();
    const yaml = `version: 1\n${FAST}services:\n${sleeper('a', m)}`;
    const s = cleanup.scratch(yaml);
    await watch(s);
    const before = pidsOf(s);
    const temp = join(s.dir, '.stack.yaml.swp');
    writeFileSync(temp, `${yaml}${sleeper('b', m)}`);
    renameSync(temp, s.file);
    await waitFor(() => sleepsWith(m).length === 2, 5000, 'b to start after a save by rename');
    expect(pidsOf(s).a).toBe(before.a);
    // And a second save by rename, now that the watched file was replaced once.
    writeFileSync(temp, `${yaml}${sleeper('b', m)}${sleeper('c', m)}`);
    renameSync(temp, s.file);
    await waitFor(() => sleepsWith(m).length === 3, 5000, 'c to start after a second save by rename');
  });

  it('writes to other files beside stack.yaml are not edits; a stack.yaml deleted and written again later is seen', async () => {
    const m = marker();
    const yaml = `version: 1\n${FAST}services:\n${sleeper('a', m)}`;
    const s = cleanup.scratch(yaml);
    const controller = await watch(s, '1h');
    const before = pidsOf(s);
    // A service's log beside stack.yaml, written just before an edit: only the edit is a reason.
    for (let i = 0; i < 20; i += 1) writeFileSync(join(s.dir, 'app.log'), `line ${i}\n`, { flag: 'a' });
    s.write(`${yaml}${sleeper('b', m)}`);
    await waitFor(() => sleepsWith(m).length === 2, 5000, 'b to start');
    expect(controller.stderr()).toMatch(/reconciling \(changed: stack\.yaml\): install b, start b\n/);
    expect(controller.stderr()).not.toMatch(/app\.log/);
    rmSync(s.file);
    await controller.waitForStderr(/stack\.yaml is invalid/, 5000, 'the missing file to be reported');
    expect(isAlive(before.a as number)).toBe(true);
    s.write(`${yaml}${sleeper('b', m)}${sleeper('c', m)}`);
    await waitFor(() => sleepsWith(m).length === 3, 5000, 'c to start once stack.yaml is back');
    expect(pidsOf(s).a).toBe(before.a);
  });

  /** A stack of one sleep whose stack.yaml is a symlink to configs/stack.yaml. */
  const symlinkedStack = (m: string) => {
    const yaml = `version: 1\n${FAST}services:\n${sleeper('a', m)}`;
    const s = cleanup.scratch(yaml);
    const target = join(s.dir, 'configs', 'stack.yaml');
    mkdirSync(dirname(target));
    writeFileSync(target, yaml);
    rmSync(s.file);
    symlinkSync(target, s.file);
    return { s, yaml, target };
  };

  it('a stack.yaml that is a symlink: an edit of the file it points to is seen', async () => {
    const m = marker();
    const { s, yaml, target } = symlinkedStack(m);
    await watch(s, '1h');
    writeFileSync(target, `${yaml}${sleeper('b', m)}`);
    await waitFor(() => sleepsWith(m).length === 2, 5000, 'b to start after an edit of the symlink target');
  });

  it('the interval finds an edit no watch saw: the folder the symlink points into replaced', async () => {
    const m = marker();
    const { s, yaml, target } = symlinkedStack(m);
    await watch(s, '1s');
    // The watched folder moved away and a new one put in its place: no watch is on the new one,
    // and stack.yaml's own folder sees only `configs` change. stat through the link differs.
    renameSync(dirname(target), `${dirname(target)}.old`);
    mkdirSync(dirname(target));
    writeFileSync(target, `${yaml}${sleeper('b', m)}`);
    await waitFor(() => sleepsWith(m).length === 2, 10_000, 'b to start after the interval pass');
  });

  it('an env file edit restarts the service that reads it, and only that one', async () => {
    const m = marker();
    const s = cleanup.scratch(`version: 1\n${FAST}services:\n${sleeper('a', m, '    envFile: app.env\n')}${sleeper('b', m)}`);
    writeFileSync(join(s.dir, 'app.env'), 'GREETING=hello\n');
    const controller = await watch(s, '1h');
    const before = pidsOf(s);
    writeFileSync(join(s.dir, 'app.env'), 'GREETING=bonjour\n');
    const after = await waitFor(() => { const pids = pidsOf(s); return pids.a && pids.a !== before.a ? pids : undefined; }, 5000, 'a to restart with the new env file');
    expect(after.b).toBe(before.b);
    expect(controller.stderr()).toMatch(/reconciling \(changed: app\.env\)/);
  });

  it('restart while a controller runs is handed to it, and clears a crash-loop give-up', async () => {
    const m = marker();
    const s = cleanup.scratch(
      `version: 1\n${FAST}services:\n${sleeper('a', m)}  flaky:\n    command: [sh, -c, "test -f ok && exec sleep ${m}; exit 1"]\n    restart: { maxRestarts: 2, backoff: { initial: 50ms, max: 100ms } }\n`,
    );
    const controller = await watch(s);
    const before = pidsOf(s);

    const restart = stack(['restart', 'a', '-f', s.file]);
    // Through its API: said as a restart here says it.
    expect(restart.code, restart.stderr).toBe(0);
    expect(restart.stdout).toMatch(/Restart complete/);
    const after = rowOf(s.file, 'a');
    expect(after?.observed).toBe('running');
    expect(after?.pid).not.toBe(before.a);
    expect(isAlive(before.a as number)).toBe(false);

    await controller.waitForStderr(/flaky keeps crashing: gave up after 2 restarts/, 8000, 'flaky to give up');
    expect(rowOf(s.file, 'flaky')?.observed).toBe('crashed');
    writeFileSync(join(s.dir, 'ok'), '');
    const again = stack(['restart', 'flaky', '-f', s.file]);
    expect(again.code, again.stderr).toBe(0);
    const flaky = await waitFor(() => { const r = rowOf(s.file, 'flaky'); return r?.observed === 'running' ? r : undefined; }, 5000, 'flaky to run');
    expect(sleepsWith(m).map((proc) => proc.pid)).toContain(flaky.pid);
    expect(controller.result()).toBeUndefined();
  });

  it('kill -9 of the controller leaves services running; a new controller adopts them, then supervises them', async () => {
    const m = marker();
    const s = cleanup.scratch(`version: 1\n${FAST}services:\n${sleeper('a', m)}${sleeper('b', m)}`);
    const first = await watch(s);
    const before = pidsOf(s);
    first.child.kill('SIGKILL');
    await first.done;
    expect(isAlive(before.a as number) && isAlive(before.b as number)).toBe(true);

    const second = await watch(s);
    expect(second.stderr()).toMatch(/took over the lock of pid \d+/);
    expect(second.stderr()).not.toMatch(/reconciling/);
    expect(pidsOf(s)).toEqual(before);
    expect(lockOf(s.dir)?.pid).toBe(second.pid);
    // One more full pass after adoption still leaves them alone.
    await waitForPasses(s.dir, 1, 5000);
    expect(pidsOf(s)).toEqual(before);
    expect(sleepsWith(m).map((proc) => proc.pid).sort()).toEqual([before.a, before.b].sort());

    // Adopted runs are not its children: their death is seen by liveness polling.
    process.kill(before.b as number, 'SIGKILL');
    const row = await waitFor(() => { const r = rowOf(s.file, 'b'); return r?.observed === 'running' && typeof r.pid === 'number' && r.pid !== before.b ? r : undefined; }, 5000, 'b to be restarted');
    expect(row.restarts).toBe(1);
    expect(rowOf(s.file, 'a')).toMatchObject({ pid: before.a, restarts: 0 });
  });

  it('SIGTERM stops the controller (exit 0), leaves services running and releases the lock', async () => {
    const m = marker();
    const s = cleanup.scratch(`version: 1\n${FAST}services:\n${sleeper('a', m)}${sleeper('b', m)}`);
    const controller = await watch(s);
    const before = pidsOf(s);
    controller.child.kill('SIGTERM');
    const result = await controller.done;
    expect(result.code, result.stderr).toBe(0);
    expect(isAlive(before.a as number) && isAlive(before.b as number)).toBe(true);
    expect(lockOf(s.dir)).toBeUndefined();
    const apply = stack(['apply', '--yes', '-f', s.file]);
    expect(apply.code, apply.stderr).toBe(0);
    expect(apply.stdout).toContain('No changes');
    expect(pidsOf(s)).toEqual(before);
  });

  it('SIGINT during the first pass exits 130, as apply does; what started is recorded', async () => {
    const m = marker();
    // b waits for a log line that never comes, so the first pass is still running when SIGINT lands.
    const s = cleanup.scratch(
      `version: 1\n${FAST}services:\n${sleeper('a', m)}${sleeper('b', m, '    ready: { log: never-printed, timeout: 30s }\n')}`,
    );
    const controller = cleanup.cli(['watch', '--interval', '1s', '-f', s.file]);
    await waitFor(() => sleepsWith(m).length === 2, 10_000, 'both sleeps to start');
    controller.child.kill('SIGINT');
    const result = await controller.done;
    expect(result.code, result.stderr).toBe(130);
    expect(result.stderr).toMatch(/SIGINT: interrupted during the first pass/);
    expect(result.stderr).not.toMatch(/watching /);
    expect(isAlive(pidsOf(s).a as number)).toBe(true);
    expect(lockOf(s.dir)).toBeUndefined();
  });

  it('down --yes while a controller runs stops the controller and every service', async () => {
    const m = marker();
    const s = cleanup.scratch(`version: 1\n${FAST}services:\n${sleeper('a', m)}${sleeper('b', m)}`);
    const controller = await watch(s);
    expect(sleepsWith(m)).toHaveLength(2);
    const down = stack(['down', '--yes', '-f', s.file]);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stderr).toContain(`stopping the controller: pid ${controller.pid}`);
    const result = await waitFor(() => controller.result(), 5000, 'the controller to exit');
    expect(result.code, result.stderr).toBe(0);
    expect(sleepsWith(m)).toHaveLength(0);
    expect(lockOf(s.dir)).toBeUndefined();
    expect(passRecordOf(s.dir)).toBeUndefined();
  });

  it('a down that is refused, declined or names an unknown service leaves the controller running', async () => {
    const m = marker();
    const s = cleanup.scratch(`version: 1\n${FAST}services:\n${sleeper('a', m)}`);
    const controller = await watch(s);
    const typo = stack(['down', 'nosuch', '--yes', '-f', s.file]);
    expect(typo.code).toBe(4);
    // Without a terminal and without --yes: refused before anything is stopped.
    const refused = stack(['down', '-f', s.file]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('refusing to act without confirmation');
    expect(controller.result()).toBeUndefined();
    expect(isAlive(controller.pid)).toBe(true);
    expect(lockOf(s.dir)?.pid).toBe(controller.pid);
    expect(sleepsWith(m)).toHaveLength(1);
  });

  it("the controller's log never prints a secret value, even one a plugin's status output quotes", async () => {
    const secret = 'SEKRIT-watch-4711';
    const s = cleanup.scratch(`version: 1\nservices:\n  p:\n    plugin: ./plugin\n    env: { API_TOKEN: ${secret} }\n`);
    mkdirSync(join(s.dir, 'plugin'));
    writeFileSync(
      join(s.dir, 'plugin', 'plugin.yaml'),
      ['name: p', 'lifecycle:', '  start: touch running', '  stop: rm -f running', '  status: \'if [ -f broken ]; then echo "token $API_TOKEN refused"; exit 4; fi; test -f running || exit 3\'', 'ignore: [running, broken]', ''].join('\n'),
    );
    const controller = await watch(s);
    writeFileSync(join(s.dir, 'plugin', 'broken'), '');
    await controller.waitForStderr(/token \(sensitive\) refused/, 10_000, "the status output in the controller's log");
    expect(controller.stderr()).not.toContain(secret);
  });
});
