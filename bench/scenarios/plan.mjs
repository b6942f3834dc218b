// plan() on a generated stack of N services, each depending on up to three earlier ones.
import { STACK_LIB } from '../lib.mjs';

const { planActions } = await import(STACK_LIB);

export function generatedDesired(n) {
  const services = Array.from({ length: n }, (_, index) => ({
    name: `s${index}`,
    index,
    provider: 'process',
    enabled: true,
    state: 'running',
    dependsOn: [index - 1, index - 7, index - 31].filter((dep) => dep >= 0 && (index + dep) % 3 !== 0).map((dep) => `s${dep}`),
    ports: [],
    stop: { signal: 'SIGTERM', timeoutMs: 10_000 },
    restart: { policy: 'on-failure', maxRestarts: 5, backoff: { initialMs: 500, maxMs: 30_000, resetMs: 10_000 } },
    logs: { maxSizeBytes: 10 * 1024 * 1024, maxFiles: 3 },
    process: { argv: ['sleep', String(index)], shell: false, cwd: '/tmp', env: { INDEX: String(index) }, envFiles: [] },
    sensitive: [],
  }));
  return { version: 1, project: 'bench', file: '/tmp/stack.yaml', root: '/tmp', services };
}

export function benchPlan(n, rounds) {
  const desired = generatedDesired(n);
  const observed = new Map(desired.services.map((service) => [service.name, { name: service.name, phase: 'absent' }]));
  const applied = new Map();
  planActions(desired, observed, applied); // warm-up
  const values = [];
  for (let round = 0; round < rounds; round += 1) {
    const began = process.hrtime.bigint();
    planActions(desired, observed, applied);
    values.push(Number(process.hrtime.bigint() - began) / 1e6);
  }
  return values;
}

/** The pure planner (`planActions`, what `plan()` runs after observing) on 5,000 services, warm. */
export async function planScenario({ results, rounds }) {
  results.record('plan() 5000 services', 'stack', benchPlan(5000, rounds));
}
