// kill -9 of `stack apply` at seeded points spread over the run: the next apply must converge
// with exactly one process per service, every one recorded in .stack/state.json.
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { killRecordedGroups, stack, stackAsync, waitFor } from '../support/stack-cli.js';
import { CLEAN, checkInvariants, figures, printFigures, processesMarked, seededRandom, SERVICE_NAMES, stackTraceLines, tally, useServerStacks, type Scratch } from './support.js';

const KILLS = 20;
const SEED = Number(process.env.STACK_RELIABILITY_SEED ?? 20_261_122);

const serverStack = useServerStacks();
afterAll(() => printFigures('kill-apply'));

function applyConverges(s: Scratch, marker: string): string {
  const result = stack(['apply', '--yes', '-f', s.file]);
  const traces = stackTraceLines(result.stderr);
  figures.stackTraces += traces.length;
  expect(traces).toEqual([]);
  expect(result.code, result.stdout + result.stderr).toBe(0);
  const invariants = checkInvariants(s, marker);
  tally(invariants);
  expect(invariants).toEqual(CLEAN);
  return result.stderr;
}

describe('kill -9 of stack apply', () => {
  it(`at ${KILLS} seeded points over the run, a re-apply converges: one process per service, all recorded (seed ${SEED})`, async () => {
    const { s, marker } = await serverStack();
    // One undisturbed run gives the length of the window the kills are spread over.
    const began = performance.now();
    const first = stackAsync(['apply', '--yes', '-f', s.file]);
    expect((await first.done).code).toBe(0);
    const runMs = performance.now() - began;
    expect(checkInvariants(s, marker)).toEqual(CLEAN);
    expect(stack(['down', '--yes', '-f', s.file]).code).toBe(0);

    const random = seededRandom(SEED);
    const points: number[] = [];
    for (let index = 0; index < KILLS; index += 1) {
      // Stratified: one point in each twentieth of the run, placed at random within it.
      const at = Math.round(((index + random()) / KILLS) * runMs);
      points.push(at);
      const run = stackAsync(['apply', '--yes', '-f', s.file]);
      // Fault injection at a chosen moment, not synchronisation: the kill lands wherever the run is.
      await new Promise((resolve) => setTimeout(resolve, at));
      run.child.kill('SIGKILL');
      await run.done;
      figures.faultsInjected += 1;
      const stderr = applyConverges(s, marker);
      if (stderr.includes('adopted')) figures.adoptions += 1;
      if (index === KILLS - 1) break;
      // Half the rounds start from a clean stop (install + start), half from crashed services.
      if (index % 2 === 0) expect(stack(['down', '--yes', '-f', s.file]).code).toBe(0);
      else killRecordedGroups(s.dir);
      await waitFor(() => processesMarked(marker).length === 0, 10_000, 'every service gone');
    }
    expect(stack(['plan', '--detailed-exitcode', '-f', s.file]).code).toBe(0);
    process.stdout.write(`kill points (ms into a ${Math.round(runMs)} ms run): ${points.join(' ')}\n`);
  }, 120_000);

  it('a start whose state write was lost (the spawn-to-write window) is adopted, not started twice', async () => {
    const { s, marker } = await serverStack();
    expect(stack(['apply', '--yes', '-f', s.file]).code).toBe(0);
    const before = checkInvariants(s, marker);
    expect(before).toEqual(CLEAN);
    const stateFile = join(s.dir, '.stack', 'state.json');
    const state = JSON.parse(readFileSync(stateFile, 'utf8')) as { services: Record<string, Record<string, unknown>> };
    const pids = Object.fromEntries(SERVICE_NAMES.map((name) => [name, state.services[name]?.pid]));
    // As if stack died right after spawning: c's record is from its install (no pid), h has none.
    for (const key of ['pid', 'pgid', 'startTicks', 'startedAt']) delete state.services.c?.[key];
    delete state.services.h;
    writeFileSync(stateFile, JSON.stringify(state));
    figures.faultsInjected += 1;

    const status = JSON.parse(stack(['status', '--json', '-f', s.file]).stdout) as { services: { name: string; observed: string; pid: number }[] };
    expect(status.services.filter((row) => row.name === 'c' || row.name === 'h').map((row) => [row.name, row.observed, row.pid])).toEqual([
      ['c', 'running', pids.c],
      ['h', 'running', pids.h],
    ]);
    const plan = stack(['plan', '--json', '-f', s.file]);
    expect(JSON.parse(plan.stdout).actions).toEqual([]);
    const stderr = applyConverges(s, marker);
    expect(stderr).toMatch(/adopted/);
    figures.adoptions += 1;
    const after = JSON.parse(readFileSync(stateFile, 'utf8')) as { services: Record<string, { pid?: number }> };
    expect(Object.fromEntries(SERVICE_NAMES.map((name) => [name, after.services[name]?.pid]))).toEqual(pids);
  });

  it('status finds a run whose record still names the run before it (every service has a record)', async () => {
    const { s, marker } = await serverStack();
    expect(stack(['apply', '--yes', '-f', s.file]).code).toBe(0);
    const stateFile = join(s.dir, '.stack', 'state.json');
    const state = JSON.parse(readFileSync(stateFile, 'utf8')) as { services: Record<string, Record<string, unknown>> };
    const pids = Object.fromEntries(SERVICE_NAMES.map((name) => [name, state.services[name]?.pid]));
    // As if the write of c's latest start was lost: its record names a run that is long gone.
    Object.assign(state.services.c ?? {}, { pid: 2 ** 22 + 7, pgid: 2 ** 22 + 7, startTicks: 1 });
    writeFileSync(stateFile, JSON.stringify(state));
    figures.faultsInjected += 1;

    const status = stack(['status', '--json', '-f', s.file]);
    expect(status.stderr).toMatch(/did not record the running process of c; adopted it/);
    const rows = (JSON.parse(status.stdout) as { services: { name: string; observed: string; pid: number }[] }).services;
    expect(rows.map((row) => [row.name, row.observed, row.pid])).toEqual(SERVICE_NAMES.map((name) => [name, 'running', pids[name]]));
    // status only looks; apply, which writes, records the run and starts nothing.
    expect(applyConverges(s, marker)).toMatch(/adopted it/);
    figures.adoptions += 1;
  });
});
