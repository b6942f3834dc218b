import pc from 'picocolors';
import type { Desired, DesiredService } from '../config/types.js';
import type { Applied, LastExit, ObservedService, Observed } from '../reconcile/types.js';

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
  /** Additive to formatVersion 1: whether each of `ports` accepted a TCP connection (same order); absent when not probed. */
  portsOpen?: boolean[];
  detail?: string;
  lastExit?: LastExit;
}

/** `portsOpen`: by service, whether each declared port accepts connections (from `probePortsOpen`). */
export function statusRows(desired: Desired, observed: Observed, applied: Applied, portsOpen?: ReadonlyMap<string, boolean[]>): StatusRow[] {
  const rows = desired.services.map((service) => {
    const open = portsOpen?.get(service.name);
    return { ...row(service.name, service, observed.get(service.name), applied), ...(open ? { portsOpen: open } : {}) };
  });
  for (const name of applied.keys()) {
    if (!desired.services.some((service) => service.name === name)) rows.push(row(name, undefined, observed.get(name), applied));
  }
  return rows;
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
    ...(observed?.detail ? { detail: observed.detail } : observed?.phase === 'stopped' && record?.stoppedWith ? { detail: `stopped with its dependency ${record.stoppedWith}` } : {}),
    ...(record?.lastExit ? { lastExit: record.lastExit } : {}),
  };
}

/** `8080✓,9090✗`: ✓ accepts connections, ✗ does not; bare when not probed. */
export function formatPorts(row: Pick<StatusRow, 'ports' | 'portsOpen'>): string {
  if (row.ports.length === 0) return '-';
  return row.ports.map((port, index) => {
    const open = row.portsOpen?.[index];
    return `${port}${open === undefined ? '' : open ? '✓' : '✗'}`;
  }).join(',');
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
    row.observed,
    row.pid === null ? '-' : String(row.pid),
    formatUptime(row.since, options.now),
    String(row.restarts),
    formatPorts(row),
    row.health === 'none' ? '-' : row.health,
  ]);
  const widths = HEADERS.map((header, column) => Math.max(header.length, ...cells.map((line) => (line[column] as string).length)));
  const pad = (text: string, column: number) => text.padEnd(widths[column] as number);
  const lines = [c.bold(HEADERS.map(pad).join('  ').trimEnd())];
  cells.forEach((line, index) => {
    const row = rows[index] as StatusRow;
    lines.push(line.map((cell, column) => (column === 3 ? paint(row, pad(cell, column)) : pad(cell, column))).join('  ').trimEnd());
  });
  const notes = rows.filter((row) => row.detail && row.observed !== 'running').map((row) => `  ${row.name}: ${row.detail}`);
  if (rows.length === 0) lines.push('(no services)');
  return `${[...lines, ...(notes.length > 0 ? ['', ...notes] : [])].join('\n')}\n`;
}
