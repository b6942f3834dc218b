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
  /** Additive: the map form's ports by name (`{ http: 41234 }`), as this copy of the stack has them; absent for the list form. */
  namedPorts?: Record<string, number>;
  /** Additive: when `health` was found (ISO), and why it failed; `health` comes from the last recorded probe result. */
  healthAt?: string;
  healthReason?: string;
  /** Additive: how a run that ended by itself ended (`code` and `signal` null: it cannot be known). */
  exit?: { code: number | null; signal: string | null };
  detail?: string;
  /** Additive: when a task's last run ended (ISO); `observed` is then `completed` or `failed`, `exit` how it ended. */
  finishedAt?: string;
  /** Additive: stopped only because this dependency stopped (`stack start <it>` starts it again). */
  stoppedWith?: string;
  lastExit?: LastExit;
  /**
   * Additive: percent of one core the service used (a process service's whole process group, a
   * compose service's containers) over the last interval it was read for (the controller's 2 s,
   * `status -o wide`'s 200 ms); null when unknown: before a second reading, without a process
   * group of stack's own or an engine to ask (plugin, exec).
   */
  cpu?: number | null;
  /** Additive: resident memory in bytes (the sum of the group's RSS, of the containers' usage); null when unknown. */
  memory?: number | null;
  /** Additive: seconds since the current run started (`since`); null when it does not run. */
  uptime?: number | null;
  /** Additive: the running command line, shell-quoted, secrets replaced (a compose service's containers: image and command); null when unknown. */
  command?: string | null;
  /** Additive (issue 32): the service's `limits:` (memory in bytes), only when it has some. */
  limits?: { memory?: number; cpu?: number; pids?: number };
  /**
   * Additive (issue 32), beside `limits`: what keeps them on this machine: `cgroup-v2`,
   * `systemd-run`, `cgroup-v1`, or `watchdog` (memory only, while a controller runs).
   */
  mechanism?: string;
  /** Additive, a scheduled task's: its schedule as written (`*\/15 * * * *`, `every 30s`). */
  schedule?: string;
  /**
   * Additive, a scheduled task's: when it next runs (ISO); null when nothing will run it: no
   * controller runs (schedules run under `stack watch` or `stack up`), or stack.yaml stops it.
   */
  nextRun?: string | null;
  /** Additive, a watched service's (`watch:`): `waiting for a change (last build failed: exited with code 2)`. */
  waiting?: string;
}

/** What a running service uses and runs (`cpu`, `memory`, `command` of its row). */
export interface ServiceUsage {
  cpu: number | null;
  memory: number | null;
  command?: string | null;
}

/** What a status row adds to the observed state, each by service; what is given shows on every row (null where unknown). */
export interface StatusExtras {
  /** Who listens on each declared port (from `findPortOwners`). */
  portOwners?: ReadonlyMap<string, PortOwner[]>;
  /** What a service uses (its `cpu`, `memory` and `command`). */
  usage?: ReadonlyMap<string, ServiceUsage>;
  /** Now (ms since the epoch): each row's `uptime` is counted from its `since` to this. */
  now?: number;
  /** When each armed schedule next comes due (ISO; a controller's), by task. */
  schedules?: ReadonlyMap<string, string | null>;
  /** What a watched service waits for since its last build or start failed (a controller's), by service. */
  waiting?: ReadonlyMap<string, string>;
  /** How this machine keeps limits (os/cgroups.ts), shown on the rows of services that have some. */
  mechanism?: string;
}

export function statusRows(desired: Desired, observed: Observed, applied: Applied, extras: StatusExtras = {}): StatusRow[] {
  const { portOwners, usage, now, schedules, waiting, mechanism } = extras;
  const rows: StatusRow[] = desired.services.map((service) => {
    const owners = portOwners?.get(service.name);
    const schedule = service.task?.schedule;
    const timed = schedule ? { schedule: schedule.text, nextRun: schedules?.get(service.name) ?? null } : {};
    const waits = waiting?.get(service.name);
    return { ...row(service.name, service, observed.get(service.name), applied), ...(owners ? portColumns(service, owners) : {}), ...limitColumns(service, mechanism), ...timed, ...(waits ? { waiting: waits } : {}) };
  });
  const declared = new Set(desired.services.map((service) => service.name));
  for (const name of applied.keys()) {
    if (!declared.has(name)) rows.push(row(name, undefined, observed.get(name), applied));
  }
  return withLiveColumns(rows, { ...(usage ? { usage } : {}), ...(now === undefined ? {} : { now }) });
}

/**
 * The columns that change on their own, added last to each row: CPU, memory and command as
 * `usage` read them (null where unknown), uptime counted to `now`. A controller keeps the rest of
 * its rows between changes and adds these to each answer.
 */
export function withLiveColumns(rows: readonly StatusRow[], live: LiveExtras): StatusRow[] {
  return rows.map((each) => ({ ...each, ...liveColumnsOf(each, live) }));
}

export type LiveExtras = Pick<StatusExtras, 'usage' | 'now'>;

/** One row's columns that change on their own (withLiveColumns), alone. */
export function liveColumnsOf(row: StatusRow, live: LiveExtras): Partial<StatusRow> {
  const { usage, now } = live;
  return {
    ...(usage ? { cpu: null, memory: null, command: null, ...usage.get(row.name) } : {}),
    ...(now === undefined ? {} : { uptime: uptimeOf(row.since, now) }),
  };
}

/** Whole seconds from `since` to `now`; never below 0 (a clock stepped back). */
export function uptimeOf(since: string | null, now: number): number | null {
  const start = since === null ? Number.NaN : Date.parse(since);
  return Number.isNaN(start) ? null : Math.max(0, Math.floor((now - start) / 1000));
}

function limitColumns(service: DesiredService, mechanism: string | undefined): Pick<StatusRow, 'limits' | 'mechanism'> {
  const limits = service.limits;
  if (limits === undefined) return {};
  return {
    limits: { ...(limits.memoryBytes === undefined ? {} : { memory: limits.memoryBytes }), ...(limits.cpu === undefined ? {} : { cpu: limits.cpu }), ...(limits.pids === undefined ? {} : { pids: limits.pids }) },
    ...(mechanism === undefined ? {} : { mechanism }),
  };
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
    observed: observed?.task && observed.phase === 'stopped' ? (observed.task.ok ? 'completed' : 'failed') : observed?.phase ?? 'unknown',
    pid: running ? observed?.pid ?? null : null,
    since: running ? observed?.since ?? null : null,
    restarts: observed?.restarts ?? record?.restarts ?? 0,
    health: running ? observed?.health ?? 'none' : 'none',
    ports: (service?.ports ?? []).map((port) => (port.host ? `${port.host}:${port.port}` : port.port)),
    ...(service?.namedPorts ? { namedPorts: { ...service.namedPorts } } : {}),
    ...(running && observed?.probe ? { healthAt: observed.probe.at, ...(observed.probe.reason === undefined ? {} : { healthReason: observed.probe.reason }) } : {}),
    ...(!running && observed?.exit ? { exit: observed.exit } : {}),
    ...(!running && observed?.task ? { finishedAt: observed.task.at } : {}),
    ...(observed?.detail ? { detail: observed.detail } : observed?.phase === 'stopped' && record?.stoppedWith ? { detail: `stopped with its dependency ${record.stoppedWith}`, stoppedWith: record.stoppedWith } : {}),
    ...(record?.lastExit ? { lastExit: record.lastExit } : {}),
  };
}
