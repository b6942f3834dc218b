// A provider operation that hangs: its timeout fires, that service fails, the others complete,
// and the summary says which.
import { mkdtemp, realpath, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { executePlan } from '../../src/engine/execute.js';
import { timeoutsFor } from '../../src/engine/execute-unit.js';
import { planActions } from '../../src/reconcile/plan.js';
import { StateStore } from '../../src/state/state-store.js';
import { observedMap, service, stack as stackOf } from '../reconcile/factory.js';
import { FakeProvider, waitUntil } from '../support/fake-provider.js';
import { stack, tempStack } from '../support/stack-cli.js';
import { figures, printFigures, processesMarked, stackTraceLines, uniqueMarker } from './support.js';

const roots: string[] = [];
const made: ReturnType<typeof tempStack>[] = [];
afterEach(async () => {
  await Promise.all(roots.splice(0).map((root) => rm(root, { recursive: true, force: true })));
  for (const created of made.splice(0)) {
    stack(['down', '--yes', '-f', created.file]);
    created.cleanup();
  }
});
afterAll(() => printFigures('hang'));

describe('an operation that never returns', () => {
  it('a start that hangs times out on the machine clock; that service fails, its dependent is skipped, the rest complete', async () => {
    const root = await realpath(await mkdtemp(path.join(os.tmpdir(), 'stack-hang-')));
    roots.push(root);
    const stateDir = path.join(root, '.stack');
    const hung = service('hung');
    const desired = stackOf([hung, service('dependent', { dependsOn: ['hung'] }), service('free'), service('other')]);
    const observed = observedMap({ hung: 'absent', dependent: 'absent', free: 'absent', other: 'absent' });
    const store = await StateStore.open(path.join(stateDir, 'state.json'), desired.project);
    const plan = planActions(desired, observed, store.all());
    const fake = new FakeProvider();
    fake.hold('hung', 'start'); // never resolved: the provider call hangs for good
    const clock = new SimulatedClock();
    const run = executePlan({ desired, plan, observed, state: store, providers: fake.registry(), ctx: { root, stateDir, redact: (text) => text }, parallel: 4, signal: new AbortController().signal, clock });
    await fake.when('hung', 'start');
    await waitUntil(() => fake.find('free', 'waitReady', 'end') !== undefined && fake.find('other', 'waitReady', 'end') !== undefined, 'the others to start');
    figures.faultsInjected += 1;
    clock.increment(timeoutsFor(hung).start);
    // The hung call ignores its abort; the run gives up waiting for it after a grace period on
    // the same clock, advanced here in simulated seconds until the run returns.
    let settled = false;
    void run.finally(() => (settled = true));
    for (let seconds = 0; !settled && seconds < 60; seconds += 1) {
      clock.increment(1000);
      await new Promise((resolve) => setImmediate(resolve));
    }
    const outcome = await run;
    const byName = Object.fromEntries(outcome.services.map((entry) => [entry.service, entry]));
    expect(byName.hung?.status).toBe('failed');
    expect(byName.hung?.error).toMatch(/start timed out after 30000 ms/);
    expect(byName.dependent?.status).toBe('skipped');
    expect(byName.dependent?.error).toBe('dependency hung failed');
    expect([byName.free?.status, byName.other?.status]).toEqual(['done', 'done']);
    expect(outcome.failed).toBe(1);
    expect(fake.calls().filter((call) => call.startsWith('dependent:'))).toEqual([]);
  });

  it('a ready probe whose command hangs: its timeout fires, the summary names the service, the others run (CLI)', () => {
    const marker = uniqueMarker();
    const s = tempStack(
      [
        'version: 1',
        'services:',
        '  stuck:',
        `    command: [node, -e, "setInterval(() => {}, 1e9)", ${marker}]`,
        `    ready: { exec: [node, -e, "setInterval(() => {}, 1e9)", ${marker}-probe], timeout: 1s }`,
        '  after-stuck:',
        `    command: [node, -e, "setInterval(() => {}, 1e9)", ${marker}]`,
        '    dependsOn: [stuck]',
        '  fine:',
        `    command: [node, -e, "setInterval(() => {}, 1e9)", ${marker}]`,
        '',
      ].join('\n'),
    );
    made.push(s);
    const began = performance.now();
    const result = stack(['apply', '--yes', '-f', s.file]);
    const elapsed = performance.now() - began;
    figures.faultsInjected += 1;
    figures.stackTraces += stackTraceLines(result.stderr).length;
    expect(stackTraceLines(result.stderr)).toEqual([]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/Apply finished with failures: .*1 started.*1 failed.*1 skipped/);
    expect(result.stderr).toMatch(/✗ stuck install \+ start failed: not ready: .*after 1s/);
    expect(result.stdout).toMatch(/after-stuck skipped/);
    // Hang detector only (the probe timeout is 1 s): the hung probe did not hold the run.
    expect(elapsed).toBeLessThan(15_000);
    // The hung probe command was killed with its attempt; the service it checked was stopped.
    expect(processesMarked(`${marker}-probe`)).toEqual([]);
    const state = s.state();
    expect(Object.keys(state.services).sort()).toEqual(['fine', 'stuck']);
    expect(processesMarked(marker).map((proc) => proc.pid)).toEqual([state.services.fine?.pid]);
  });
});
