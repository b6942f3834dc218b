// The state file damaged between runs, Ctrl+C mid-apply, and concurrent applies: the state
// stays consistent and no service ever runs twice.
import { afterAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stack, stackAsync, waitFor } from '../support/stack-cli.js';
import { CLEAN, checkInvariants, figures, printFigures, seededRandom, SERVICE_NAMES, stackTraceLines, tally, useServerStacks, type Scratch } from './support.js';

const serverStack = useServerStacks();
afterAll(() => printFigures('state-faults'));

const pidsOf = (s: Scratch) => Object.fromEntries(Object.entries(s.state().services).map(([name, record]) => [name, record.pid]));

function expectNoTrace(text: string): void {
  const traces = stackTraceLines(text);
  figures.stackTraces += traces.length;
  expect(traces).toEqual([]);
}

describe('a damaged .stack/state.json', () => {
  it('truncated, emptied or garbage: reported naming the file, kept aside by apply, running processes kept, nothing started twice', async () => {
    const { s, marker } = await serverStack();
    expect(stack(['apply', '--yes', '-f', s.file]).code).toBe(0);
    const pids = pidsOf(s);
    const stateFile = join(s.dir, '.stack', 'state.json');
    const good = readFileSync(stateFile, 'utf8');
    const damages: [string, string | Buffer][] = [
      ['truncated', good.slice(0, Math.floor(good.length / 2))],
      ['emptied', ''],
      ['garbage', Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0x7b, 0xff, 0x0a])],
      ['valid JSON of the wrong shape', '{"formatVersion": 1, "services": [1, 2]}'],
    ];
    const setAside = () => readdirSync(join(s.dir, '.stack')).filter((name) => name.startsWith('state.json.corrupt-'));
    for (const [round, [label, damage]] of damages.entries()) {
      writeFileSync(stateFile, damage);
      figures.faultsInjected += 1;
      // Read-only commands report and carry on, leaving the file where it is.
      const status = stack(['status', '--json', '-f', s.file]);
      expectNoTrace(status.stderr);
      expect(status.code, label).toBe(0);
      expect(status.stderr).toContain(`warning: ${stateFile}`);
      const observed = JSON.parse(status.stdout) as { services: { name: string; observed: string; pid: number }[] };
      expect(observed.services.map((row) => [row.name, row.observed, row.pid]), label).toEqual(SERVICE_NAMES.map((name) => [name, 'running', pids[name]]));
      expect(setAside(), label).toHaveLength(round);
      const plan = stack(['plan', '--json', '-f', s.file]);
      expect(JSON.parse(plan.stdout).actions, label).toEqual([]);

      // apply sets the file aside, rebuilds the state from the marked processes and keeps them.
      const apply = stack(['apply', '--yes', '-f', s.file]);
      expectNoTrace(apply.stderr);
      expect(apply.code, label).toBe(0);
      expect(setAside(), label).toHaveLength(round + 1);
      expect(apply.stderr).toContain(`kept it as ${stateFile}.corrupt-`);
      expect(apply.stdout).toContain('No changes');
      expect(pidsOf(s), label).toEqual(pids);
      const invariants = checkInvariants(s, marker);
      tally(invariants);
      expect(invariants, label).toEqual(CLEAN);
    }
    expect(setAside()).toHaveLength(damages.length);
  });
});

describe('Ctrl+C mid-apply', () => {
  it('at seeded points: exit 130, the state file is valid and every recorded pid is a live process of ours; a re-apply converges', async () => {
    const { s, marker } = await serverStack();
    const random = seededRandom(130);
    for (let round = 0; round < 3; round += 1) {
      const run = stackAsync(['apply', '--yes', '-f', s.file]);
      // Interrupt once at least one service is recorded and some are still to start.
      const wanted = 1 + Math.floor(random() * 4);
      await waitFor(() => {
        try {
          return Object.values(s.state().services).filter((record) => record.pid).length >= wanted;
        } catch {
          return false;
        }
      }, 20_000, `${wanted} services recorded`);
      run.child.kill('SIGINT');
      const result = await run.done;
      figures.faultsInjected += 1;
      expectNoTrace(result.stderr);
      const invariants = checkInvariants(s, marker);
      tally(invariants);
      expect({ ...invariants, missing: [] }).toEqual(CLEAN);
      if (invariants.missing.length > 0) expect(result.code).toBe(130);
      const again = stack(['apply', '--yes', '-f', s.file]);
      expect(again.code).toBe(0);
      expect(checkInvariants(s, marker)).toEqual(CLEAN);
      expect(stack(['down', '--yes', '-f', s.file]).code).toBe(0);
    }
  });
});

describe('concurrent applies', () => {
  it('four at once: the lock admits one at a time, the others exit 7; never a duplicate', async () => {
    const { s, marker } = await serverStack();
    const runs = [0, 1, 2, 3].map(() => stackAsync(['apply', '--yes', '-f', s.file]));
    const results = await Promise.all(runs.map((run) => run.done));
    figures.faultsInjected += 1;
    const codes = results.map((result) => result.code);
    expect(codes.every((code) => code === 0 || code === 7), codes.join(' ')).toBe(true);
    expect(codes).toContain(0);
    for (const result of results) expectNoTrace(result.stderr);
    for (const result of results.filter((r) => r.code === 7)) expect(result.stderr).toMatch(/holds the lock: pid \d+/);
    // Whoever lost may have found it converged already; one more apply finishes any leftovers.
    expect(stack(['apply', '--yes', '-f', s.file]).code).toBe(0);
    const invariants = checkInvariants(s, marker);
    tally(invariants);
    expect(invariants).toEqual(CLEAN);
  });

  it('four at once with --wait-lock: all succeed in turn, one process per service', async () => {
    const { s, marker } = await serverStack();
    const runs = [0, 1, 2, 3].map(() => stackAsync(['apply', '--yes', '--wait-lock', '-f', s.file]));
    const results = await Promise.all(runs.map((run) => run.done));
    figures.faultsInjected += 1;
    expect(results.map((result) => result.code)).toEqual([0, 0, 0, 0]);
    for (const result of results) expectNoTrace(result.stderr);
    // Exactly one of them did the work; the others found it done.
    expect(results.filter((result) => result.stdout.includes('No changes'))).toHaveLength(3);
    const invariants = checkInvariants(s, marker);
    tally(invariants);
    expect(invariants).toEqual(CLEAN);
  });
});
