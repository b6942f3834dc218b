import type { Desired, DesiredService } from '../../src/model/desired.js';
import { specOf } from '../../src/reconcile/spec.js';
import { desiredService, type DraftService } from '../support/desired-service.js';
import type { AppliedService, ObservedService, Phase } from '../../src/model/observed.js';

type ServiceOverrides = Partial<DraftService> & {
  command?: string[];
  env?: Record<string, string>;
};

/** A process service with sensible defaults; `command` and `env` shape its process spec. */
export function service(name: string, overrides: ServiceOverrides = {}): DesiredService {
  const { command, env, ...rest } = overrides;
  const base: DraftService = {
    name,
    index: 0,
    provider: 'process',
    enabled: true,
    state: 'running',
    dependsOn: [],
    ports: [],
    start: { settleMs: 100 }, stop: { signal: 'SIGTERM', timeoutMs: 10_000 },
    restart: { policy: 'on-failure', maxRestarts: 5, backoff: { initialMs: 500, maxMs: 30_000, resetMs: 10_000 } },
    logs: { maxSizeBytes: 10_000_000, maxFiles: 3 },
    process: { argv: command ?? ['node', `${name}.js`], shell: false, cwd: `/srv/${name}`, env: env ?? {}, envFiles: [] },
    sensitive: [],
  };
  return desiredService({ ...base, ...rest });
}

export function compose(name: string, overrides: ServiceOverrides = {}): DesiredService {
  return service(name, {
    provider: 'compose',
    process: undefined,
    compose: { file: `/srv/${name}/docker-compose.yml`, project: `dev-${name}`, services: [], profiles: [], scale: {}, wait: false, env: {} },
    ...overrides,
  });
}

/** A stack in manifest order; `index` is set from the position. */
export function stack(services: DesiredService[], project = 'devstack'): Desired {
  return {
    version: 1,
    project,
    file: '/srv/stack.yaml',
    root: '/srv',
    services: services.map((entry, index) => ({ ...entry, index })),
  };
}

export function observed(name: string, phase: Phase, detail?: string): ObservedService {
  return detail === undefined ? { name, phase } : { name, phase, detail };
}

export function observedMap(entries: Record<string, Phase>): Map<string, ObservedService> {
  return new Map(Object.entries(entries).map(([name, phase]) => [name, observed(name, phase)]));
}

/** The record stack writes after applying `desired` as it is now. */
export function appliedFrom(desired: DesiredService, extra: Partial<AppliedService> = {}): AppliedService {
  const spec = specOf(desired);
  return { provider: desired.provider, restarts: 0, ...spec, ...extra };
}

export function appliedMap(services: DesiredService[]): Map<string, AppliedService> {
  return new Map(services.map((entry) => [entry.name, appliedFrom(entry)]));
}
