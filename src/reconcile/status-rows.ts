import type { Desired, DesiredService } from '../model/desired.js';
import type { Applied, LastExit, ObservedService, Observed } from '../model/observed.js';

// `stack status`'s rows, shared by the CLI (daemonless) and the controller's API (GET /v1/status,
// docs/api.md), so both give the same JSON.

/** Who listens on a port as `os/port-owners.ts` finds it (the same union, restated: the core reads no I/O module). */
export type PortOwner = { kind: 'free' | 'own' | 'listening' } | { kind: 'foreign'; pid?: number; command?: string };

/** Who listens on a declared port: the service itself, nobody, someone stack cannot name (a compose service's port), or another process. */
export interface PortOwnerView {
  port: number;
  host?: string;
  holder: 'self' | 'none' | 'unknown' | 'other';
  pid?: number;
  command?: string;
}

/** One row of `stack status`, also its JSON form (formatVersion 1). */
export interface StatusRow {
  name: string;
  provider: string;
  enabled: boolean;
  desired: 'running' | 'stopped' | 'absent';
  observed: string;
  pid: number | null;
  since: string | null;
  restarts: number;
  health: string;
  ports: (number | string)[];
  /**
   * Additive to formatVersion 1: whether each of `ports` is listened on (same order) by the
   * service's own process group (by anyone, for a service without one: compose, plugin).
   */
  portsOpen?: boolean[];
  /** Additive: who listens on each of `ports` (same order). */
  portOwners?: PortOwnerView[];
  /** Additive: when `health` was found (ISO), and why it failed; `health` comes from the last recorded probe result. */
  healthAt?: string;
  healthReason?: string;
  /** Additive: how a run that ended by itself ended (`code` and `signal` null: it cannot be known). */
  exit?: { code: number | null; signal: string | null };
  detail?: string;
  /** Additive: stopped only because this dependency stopped (`stack start <it>` starts it again). */
  stoppedWith?: string;
  lastExit?: LastExit;
  /**
   * Additive: percent of one core the service's process group used over the controller's last
   * interval (2 s); null when unknown: without a controller, before a run's second reading, and
   * for a service without a process group of stack's own (compose, plugin, exec).
   */
  cpu?: number | null;
  /** Additive: resident memory of the service's process group (the sum of its processes' RSS), in bytes; null when unknown. */
  memoryBytes?: number | null;
}

/** What a service's process group uses (`cpu`, `memoryBytes` of its row). */
export interface ServiceUsage {
  cpu: number | null;
  memoryBytes: number | null;
}

/**
 * `portOwners`: by service, who listens on each declared port (from `findPortOwners`). `usage`:
 * by service, what its process group uses; when given, every row has `cpu` and `memoryBytes`
 * (null for a service it does not name).
 */
export function statusRows(desired: Desired, observed: Observed, applied: Applied, portOwners?: ReadonlyMap<string, PortOwner[]>, usage?: ReadonlyMap<string, ServiceUsage>): StatusRow[] {
  const rows = desired.services.map((service) => {
    const owners = portOwners?.get(service.name);
    return { ...row(service.name, service, observed.get(service.name), applied), ...(owners ? portColumns(service, owners) : {}) };
  });
  for (const name of applied.keys()) {
    if (!desired.services.some((service) => service.name === name)) rows.push(row(name, undefined, observed.get(name), applied));
  }
  return usage ? rows.map((each) => ({ ...each, ...(usage.get(each.name) ?? { cpu: null, memoryBytes: null }) })) : rows;
}

function portColumns(service: DesiredService, owners: readonly PortOwner[]): Pick<StatusRow, 'portsOpen' | 'portOwners'> {
  const holder = { own: 'self', free: 'none', listening: 'unknown', foreign: 'other' } as const;
  return {
    portsOpen: owners.map((owner) => owner.kind === 'own' || owner.kind === 'listening'),
    portOwners: owners.map((owner, index) => {
      const spec = service.ports[index];
      return { port: spec?.port ?? 0, ...(spec?.host === undefined ? {} : { host: spec.host }), holder: holder[owner.kind], ...(owner.kind === 'foreign' ? { ...(owner.pid === undefined ? {} : { pid: owner.pid }), ...(owner.command === undefined ? {} : { command: owner.command }) } : {}) };
    }),
  };
}

function row(name: string, service: DesiredService | undefined, observed: ObservedService | undefined, applied: Applied): StatusRow {
  const record = applied.get(name);
  const running = observed?.phase === 'running' || observed?.phase === 'starting';
  return {
    name,
    provider: service?.provider ?? record?.provider ?? 'process',
    enabled: service?.enabled ?? false,
    desired: !service || !service.enabled ? 'absent' : service.state,
    observed: observed?.phase ?? 'unknown',
    pid: running ? observed?.pid ?? null : null,
    since: running ? observed?.since ?? null : null,
    restarts: observed?.restarts ?? record?.restarts ?? 0,
    health: running ? observed?.health ?? 'none' : 'none',
    ports: (service?.ports ?? []).map((port) => (port.host ? `${port.host}:${port.port}` : port.port)),
    ...(running && observed?.probe ? { healthAt: observed.probe.at, ...(observed.probe.reason === undefined ? {} : { healthReason: observed.probe.reason }) } : {}),
    ...(!running && observed?.exit ? { exit: observed.exit } : {}),
    ...(observed?.detail ? { detail: observed.detail } : observed?.phase === 'stopped' && record?.stoppedWith ? { detail: `stopped with its dependency ${record.stoppedWith}`, stoppedWith: record.stoppedWith } : {}),
    ...(record?.lastExit ? { lastExit: record.lastExit } : {}),
  };
}
