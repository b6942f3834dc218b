import pc from 'picocolors';
import type { Desired, DesiredService } from '../model/desired.js';
import type { PortOwner } from '../api.js';
import { describePortConflict } from '../reconcile/plan-blocks.js';
import type { Applied, LastExit, ObservedService, Observed } from '../model/observed.js';

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
  lastExit?: LastExit;
}

/** `portOwners`: by service, who listens on each declared port (from `findPortOwners`). */
export function statusRows(desired: Desired, observed: Observed, applied: Applied, portOwners?: ReadonlyMap<string, PortOwner[]>): StatusRow[] {
  const rows = desired.services.map((service) => {
    const owners = portOwners?.get(service.name);
    return { ...row(service.name, service, observed.get(service.name), applied), ...(owners ? portColumns(service, owners) : {}) };
  });
  for (const name of applied.keys()) {
    if (!desired.services.some((service) => service.name === name)) rows.push(row(name, undefined, observed.get(name), applied));
  }
  return rows;
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
    ...(observed?.detail ? { detail: observed.detail } : observed?.phase === 'stopped' && record?.stoppedWith ? { detail: `stopped with its dependency ${record.stoppedWith}` } : {}),
    ...(record?.lastExit ? { lastExit: record.lastExit } : {}),
  };
}

/** `8080✓,9090✗,5432✗(pid 42)`: ✓ the service listens, ✗ it does not (another process named when one does); bare when not looked at. */
export function formatPorts(row: Pick<StatusRow, 'ports' | 'portsOpen' | 'portOwners'>): string {
  if (row.ports.length === 0) return '-';
  return row.ports.map((port, index) => {
    const open = row.portsOpen?.[index];
    const owner = row.portOwners?.[index];
    const other = owner?.holder === 'other' ? `(${owner.pid === undefined ? 'another user' : `pid ${owner.pid}`})` : '';
    return `${port}${open === undefined ? '' : open ? '✓' : '✗'}${other}`;
  }).join(',');
}

/** `running`, or for a run that ended by itself: `exited (0)`, `exited (code unknown)`. */
export function formatObserved(row: Pick<StatusRow, 'observed' | 'exit'>): string {
  if (row.observed !== 'stopped' || !row.exit) return row.observed;
  if (row.exit.signal) return `killed (${row.exit.signal})`;
  return `exited (${row.exit.code ?? 'code unknown'})`;
}

/** `ready 3m ago`, `unhealthy 10s ago: connection refused`; `-` without a result. */
export function formatHealth(row: Pick<StatusRow, 'health' | 'healthAt' | 'healthReason'>, now: number): string {
  if (row.health === 'none') return '-';
  if (!row.healthAt) return row.health;
  return `${row.health} ${formatUptime(row.healthAt, now)} ago${row.healthReason ? `: ${row.healthReason}` : ''}`;
}

/** Lines under the table naming the processes that hold a service's ports instead of it. */
function portNotes(row: StatusRow): string[] {
  return (row.portOwners ?? [])
    .filter((owner) => owner.holder === 'other')
    .map((owner) => `  ${row.name}: ${describePortConflict(owner)}, not by ${row.name}`);
}

export function formatUptime(since: string | null, now: number): string {
  if (!since) return '-';
  const seconds = Math.max(0, Math.floor((now - Date.parse(since)) / 1000));
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${seconds % 60 ? `${seconds % 60}s` : ''}`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h${Math.floor((seconds % 3600) / 60)}m`;
  return `${Math.floor(seconds / 86_400)}d${Math.floor((seconds % 86_400) / 3600)}h`;
}

const HEADERS = ['NAME', 'PROVIDER', 'DESIRED', 'OBSERVED', 'PID', 'UPTIME', 'RESTARTS', 'PORTS', 'HEALTH'];

export function renderStatusTable(rows: readonly StatusRow[], options: { color: boolean; now: number }): string {
  const c = pc.createColors(options.color);
  const paint = (row: StatusRow, text: string) => {
    const matches = (row.desired === 'running' && row.observed === 'running') || (row.desired !== 'running' && row.observed !== 'running');
    if (row.observed === 'crashed' || row.observed === 'unknown') return c.red(text);
    return matches ? c.green(text) : c.yellow(text);
  };
  const cells = rows.map((row) => [
    row.name,
    row.provider,
    row.desired,
    formatObserved(row),
    row.pid === null ? '-' : String(row.pid),
    formatUptime(row.since, options.now),
    String(row.restarts),
    formatPorts(row),
    formatHealth(row, options.now),
  ]);
  const widths = HEADERS.map((header, column) => Math.max(header.length, ...cells.map((line) => (line[column] as string).length)));
  const pad = (text: string, column: number) => text.padEnd(widths[column] as number);
  const lines = [c.bold(HEADERS.map(pad).join('  ').trimEnd())];
  cells.forEach((line, index) => {
    const row = rows[index] as StatusRow;
    lines.push(line.map((cell, column) => (column === 3 ? paint(row, pad(cell, column)) : pad(cell, column))).join('  ').trimEnd());
  });
  const notes = rows.flatMap((row) => [...(row.detail && row.observed !== 'running' ? [`  ${row.name}: ${row.detail}`] : []), ...portNotes(row)]);
  if (rows.length === 0) lines.push('(no services)');
  return `${[...lines, ...(notes.length > 0 ? ['', ...notes] : [])].join('\n')}\n`;
}
