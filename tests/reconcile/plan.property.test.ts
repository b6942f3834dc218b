import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Desired, DesiredService } from '../../src/model/desired.js';
import { planActions } from '../../src/reconcile/plan.js';
import { renderPlanHuman } from '../../src/reconcile/render-human.js';
import { renderPlanJson } from '../../src/reconcile/render-json.js';
import type { AppliedService, ObservedService, Phase } from '../../src/model/observed.js';
import type { Plan } from '../../src/model/plan.js';
import { appliedFrom, compose, service, stack } from './factory.js';

const PHASES: Phase[] = ['absent', 'stopped', 'starting', 'running', 'stopping', 'crashed', 'unknown'];

interface Shape {
  enabled: boolean;
  running: boolean;
  variant: number;
  compose: boolean;
  file: number;
}

interface Scenario {
  desired: Desired;
  observed: Map<string, ObservedService>;
  applied: Map<string, AppliedService>;
}

const shapeArb = fc.record({ enabled: fc.boolean(), running: fc.boolean(), variant: fc.nat(2), compose: fc.boolean(), file: fc.nat(1) });
const appliedArb = fc.option(fc.record({ shape: shapeArb, gaveUp: fc.boolean(), restarts: fc.nat(6) }), { nil: undefined });

function build(name: string, shape: Shape, dependsOn: string[]): DesiredService {
  const env = { V: String(shape.variant), API_TOKEN: `secret-${shape.variant}` };
  const state = shape.running ? 'running' : 'stopped';
  if (!shape.compose) return service(name, { env, dependsOn, enabled: shape.enabled, state });
  const base = compose(name, { dependsOn, enabled: shape.enabled, state });
  return compose(name, { dependsOn, enabled: shape.enabled, state, compose: { ...base.compose!, file: `/c/${shape.file}.yml`, env } });
}

/** A random acyclic stack: a service depends only on services earlier in a random permutation. */
const scenarioArb = fc.integer({ min: 1, max: 9 }).chain((n) =>
  fc.record({
    permutation: fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n }),
    picks: fc.array(fc.array(fc.nat(), { maxLength: 3 }), { minLength: n, maxLength: n }),
    shapes: fc.array(shapeArb, { minLength: n, maxLength: n }),
    phases: fc.array(fc.constantFrom(...PHASES), { minLength: n, maxLength: n }),
    applied: fc.array(appliedArb, { minLength: n, maxLength: n }),
    removed: fc.array(fc.record({ phase: fc.constantFrom(...PHASES), shape: shapeArb, picks: fc.array(fc.nat(), { maxLength: 2 }) }), { maxLength: 4 }),
  }).map(({ permutation, picks, shapes, phases, applied, removed }): Scenario => {
    const name = (index: number) => `s${index}`;
    const services = shapes.map((shape, index) => {
      const rank = permutation.indexOf(index);
      const deps = rank === 0 ? [] : (picks[index] ?? []).map((pick) => name(permutation[pick % rank] as number));
      return build(name(index), shape, [...new Set(deps)]);
    });
    const observed = new Map<string, ObservedService>();
    const appliedMap = new Map<string, AppliedService>();
    services.forEach((entry, index) => {
      observed.set(entry.name, { name: entry.name, phase: phases[index] as Phase, detail: 'exit 1' });
      const record = applied[index];
      if (record) appliedMap.set(entry.name, appliedFrom(build(entry.name, record.shape, []), { gaveUp: record.gaveUp, restarts: record.restarts }));
    });
    // A removed service's record keeps what it depended on: services still in the file, and
    // removed ones recorded after it, so that the reverse of the records is the wrong order.
    removed.forEach(({ phase, shape, picks: recordedPicks }, index) => {
      const gone = `gone${index}`;
      const candidates = [...services.map((entry) => entry.name), ...removed.slice(index + 1).map((_, later) => `gone${index + 1 + later}`)];
      const dependsOn = [...new Set(recordedPicks.map((pick) => candidates[pick % candidates.length] as string))];
      observed.set(gone, { name: gone, phase });
      appliedMap.set(gone, appliedFrom(build(gone, shape, []), { dependsOn }));
    });
    return { desired: stack(services), observed, applied: appliedMap };
  }),
);

/** Carries out a plan's effects the way the executor and providers would. */
function simulate(scenario: Scenario, plan: Plan): Scenario {
  const observed = new Map(scenario.observed);
  const applied = new Map(scenario.applied);
  const byName = new Map(scenario.desired.services.map((entry) => [entry.name, entry]));
  for (const action of plan.actions) {
    const desired = byName.get(action.service);
    if (action.op === 'stop') observed.set(action.service, { name: action.service, phase: 'stopped' });
    if (action.op === 'uninstall') {
      observed.set(action.service, { name: action.service, phase: 'absent' });
      applied.delete(action.service);
    }
    if ((action.op === 'install' || action.op === 'start') && desired) {
      observed.set(action.service, { name: action.service, phase: action.op === 'start' ? 'running' : 'stopped' });
      applied.set(action.service, appliedFrom(desired));
    }
  }
  return { desired: scenario.desired, observed, applied };
}

function planOf(scenario: Scenario, targets?: string[]): Plan {
  return planActions(scenario.desired, scenario.observed, scenario.applied, targets ? { targets } : {});
}

function startIndex(plan: Plan): Map<string, number> {
  const index = new Map<string, number>();
  plan.actions.forEach((action, position) => {
    if (action.op === 'start') index.set(action.service, position);
  });
  return index;
}

describe('planActions properties', () => {
  it('(1) starts every service after the starts of its dependencies in the plan', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const plan = planOf(scenario);
        const starts = startIndex(plan);
        for (const entry of scenario.desired.services) {
          const own = starts.get(entry.name);
          if (own === undefined) continue;
          for (const dep of entry.dependsOn) expect(starts.get(dep) ?? -1).toBeLessThan(own);
        }
      }),
    );
  });

  it('(1b) stops a service removed from the file before what its record says it depended on', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const stops = new Map(planOf(scenario).actions.flatMap((action, index) => (action.op === 'stop' || action.op === 'uninstall' ? [[action.service, index] as const] : [])).reverse());
        const inFile = new Set(scenario.desired.services.map((entry) => entry.name));
        for (const [name, record] of scenario.applied) {
          if (inFile.has(name)) continue;
          const own = stops.get(name);
          if (own === undefined) continue;
          for (const dep of record.dependsOn ?? []) expect(stops.get(dep) ?? Infinity).toBeGreaterThan(own);
        }
      }),
    );
  });

  it('(2) stops in the exact reverse of the start order when everything restarts', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const services = scenario.desired.services.map((entry) => ({ ...entry, enabled: true, state: 'running' as const }));
        const desired = { ...scenario.desired, services };
        const observed = new Map(services.map((entry) => [entry.name, { name: entry.name, phase: 'running' as Phase }]));
        const applied = new Map(services.map((entry) => [entry.name, { ...appliedFrom(entry), specHash: 'old' }]));
        const plan = planActions(desired, observed, applied);
        const stops = plan.actions.filter((a) => a.op === 'stop').map((a) => a.service);
        const starts = plan.actions.filter((a) => a.op === 'start').map((a) => a.service);
        expect(starts).toHaveLength(services.length);
        expect(stops).toEqual([...starts].reverse());
        expect(plan.summary.restart).toBe(services.length);
        const lastStop = plan.actions.map((a) => a.op).lastIndexOf('stop');
        expect(plan.actions.slice(0, lastStop + 1).every((a) => a.op === 'stop' || a.op === 'uninstall')).toBe(true);
      }),
    );
  });

  it('(3) planning again after carrying out the plan gives no actions', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const after = simulate(scenario, planOf(scenario));
        expect(planOf(after).actions).toEqual([]);
      }),
    );
  });

  it('(4) the same inputs render byte for byte the same', () => {
    fc.assert(
      fc.property(scenarioArb, fc.boolean(), (scenario, color) => {
        const copy: Scenario = structuredClone(scenario);
        const one = planOf(scenario);
        const two = planOf(copy);
        expect(renderPlanJson(two)).toBe(renderPlanJson(one));
        expect(renderPlanHuman(two, { color })).toBe(renderPlanHuman(one, { color }));
      }),
    );
  });

  it('(5) with targets, every action is for a target or pulled in by one', () => {
    const withTargets = scenarioArb.chain((scenario) =>
      fc
        .subarray([...scenario.applied.keys(), ...scenario.desired.services.map((s) => s.name)], { minLength: 1 })
        .map((targets) => ({ scenario, targets })),
    );
    fc.assert(
      fc.property(withTargets, ({ scenario, targets }) => {
        const plan = planOf(scenario, targets);
        for (const action of plan.actions) {
          if (targets.includes(action.service)) continue;
          expect(action.pulledInBy).toBeDefined();
          expect(targets).toContain(action.pulledInBy);
        }
        const starts = startIndex(plan);
        for (const entry of scenario.desired.services) {
          const own = starts.get(entry.name);
          if (own !== undefined) for (const dep of entry.dependsOn) expect(starts.get(dep) ?? -1).toBeLessThan(own);
        }
      }),
    );
  });

  it('never puts a secret value in any rendering', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const plan = planOf(scenario);
        const text = renderPlanJson(plan) + renderPlanHuman(plan, { color: false }) + renderPlanHuman(plan, { color: true });
        expect(text).not.toContain('secret-');
      }),
    );
  });
});
