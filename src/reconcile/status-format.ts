import type { StatusRow } from './status-rows.js';
import { formatSize, formatSizeLike } from '../config/units.js';

// The cells of `stack status`, `stack top` and the dashboard's table, as text: pure, so the
// browser bundle (src/dashboard-ui) shows a row exactly as the terminal does.

/**
 * `8080✓,9090✗,5432✗(pid 42)`: ✓ the service listens, ✗ it does not (another process named when
 * one does); bare when not looked at. Named ports read `http=41234✓`.
 */
export function formatPorts(row: Pick<StatusRow, 'ports' | 'portsOpen' | 'portOwners'> & Partial<Pick<StatusRow, 'namedPorts'>>): string {
  if (row.ports.length === 0) return '-';
  const names = Object.keys(row.namedPorts ?? {});
  return row.ports.map((port, index) => {
    const name = names[index] === undefined ? '' : `${names[index]}=`;
    const open = row.portsOpen?.[index];
    const owner = row.portOwners?.[index];
    const other = owner?.holder === 'other' ? `(${owner.pid === undefined ? 'another user' : `pid ${owner.pid}`})` : '';
    return `${name}${port}${open === undefined ? '' : open ? '✓' : '✗'}${other}`;
  }).join(',');
}

/**
 * `running`, or for a run that ended by itself: `exited (0)`, `exited (code unknown)`; a task's
 * last run: `completed (0) 3m ago`, `failed (2) 10s ago` (the age where `now` is given).
 */
export function formatObserved(row: Pick<StatusRow, 'observed' | 'exit' | 'finishedAt'> & Partial<Pick<StatusRow, 'schedule' | 'nextRun' | 'desired'>>, now?: number): string {
  if (row.schedule !== undefined) return `${row.observed === 'stopped' && !row.exit ? 'not run yet' : formatRun(row, now)}, ${formatNextRun(row, now)}`;
  return formatRun(row, now);
}

function formatRun(row: Pick<StatusRow, 'observed' | 'exit' | 'finishedAt'>, now?: number): string {
  if ((row.observed === 'completed' || row.observed === 'failed') && row.exit) {
    const how = row.exit.signal ?? row.exit.code ?? 'code unknown';
    const age = now !== undefined && row.finishedAt ? ` ${formatUptime(row.finishedAt, now)} ago` : '';
    return `${row.observed} (${how})${age}`;
  }
  if (row.observed !== 'stopped' || !row.exit) return row.observed;
  if (row.exit.signal) return `killed (${row.exit.signal})`;
  return `exited (${row.exit.code ?? 'code unknown'})`;
}

/**
 * A scheduled task's next run: `next in 12m` (`next at <ISO>` without `now`), `schedule paused`
 * (stack.yaml stops it), `no controller runs its schedule` (nothing will run it).
 */
export function formatNextRun(row: Partial<Pick<StatusRow, 'nextRun' | 'desired'>>, now?: number): string {
  if (row.desired !== undefined && row.desired !== 'running') return 'schedule paused';
  if (!row.nextRun) return 'no controller runs its schedule';
  return now === undefined ? `next at ${row.nextRun}` : `next in ${formatSeconds(Math.ceil((Date.parse(row.nextRun) - now) / 1000))}`;
}

/** `ready 3m ago`, `unhealthy 10s ago: connection refused`; `-` without a result. */
export function formatHealth(row: Pick<StatusRow, 'health' | 'healthAt' | 'healthReason'>, now: number): string {
  if (row.health === 'none') return '-';
  if (!row.healthAt) return row.health;
  return `${row.health} ${formatUptime(row.healthAt, now)} ago${row.healthReason ? `: ${row.healthReason}` : ''}`;
}

export function formatUptime(since: string | null, now: number): string {
  if (!since) return '-';
  return formatSeconds(Math.floor((now - Date.parse(since)) / 1000));
}

/** `45s`, `3m20s`, `2h5m`, `1d4h`; never below 0s. */
function formatSeconds(whole: number): string {
  const seconds = Math.max(0, whole);
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${seconds % 60 ? `${seconds % 60}s` : ''}`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h${Math.floor((seconds % 3600) / 60)}m`;
  return `${Math.floor(seconds / 86_400)}d${Math.floor((seconds % 86_400) / 3600)}h`;
}

export function formatCpu(cpu: number | null | undefined): string {
  return cpu === null || cpu === undefined ? '-' : `${cpu < 10 ? cpu.toFixed(1) : Math.round(cpu)}%`;
}

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '-';
  const units = ['B', 'K', 'M', 'G', 'T'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value < 10 && unit > 0 ? value.toFixed(1) : Math.round(value)}${units[unit]}`;
}

/** A row's memory, against its limit when it has one: `130 MB / 512 MB` (`stack top`, `status -o wide`). */
export function formatMemory(row: Pick<StatusRow, 'memory' | 'limits'>): string {
  const limit = row.limits?.memory;
  if (limit === undefined) return formatBytes(row.memory);
  const used = row.memory === null || row.memory === undefined ? '-' : formatSizeLike(row.memory, limit);
  return `${used} / ${formatSize(limit)}`;
}

/**
 * A row's limits and what keeps them: `cgroup-v1: memory 512 MB, cpu 1.5, pids 200`; the
 * watchdog says what it cannot keep. `-` for a service without limits.
 */
export function formatLimits(row: Pick<StatusRow, 'limits' | 'mechanism'>): string {
  const limits = row.limits;
  if (limits === undefined) return '-';
  const parts = [
    ...(limits.memory === undefined ? [] : [`memory ${formatSize(limits.memory)}`]),
    ...(limits.cpu === undefined ? [] : [`cpu ${limits.cpu}`]),
    ...(limits.pids === undefined ? [] : [`pids ${limits.pids}`]),
  ];
  const unkept = row.mechanism === 'watchdog' ? [limits.cpu === undefined ? '' : 'cpu', limits.pids === undefined ? '' : 'pids'].filter(Boolean) : [];
  const note = unkept.length === 0 ? '' : ` (${unkept.join(' and ')} not enforced)`;
  return `${row.mechanism === undefined ? '' : `${row.mechanism}: `}${parts.join(', ')}${note}`;
}

/** An argv as a POSIX shell reads it back: a word that needs it single-quoted, each `'` as `'\''`. */
export function formatCommandLine(argv: readonly string[]): string {
  return argv.map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`)).join(' ');
}

/** How a row's state reads at a glance (red, green, yellow): broken, as wanted, on its way. */
export type StateTone = 'bad' | 'ok' | 'moving';

export function stateTone(row: Pick<StatusRow, 'observed' | 'desired' | 'detail'>): StateTone {
  if (row.observed === 'crashed' || row.observed === 'unknown' || row.observed === 'failed' || row.detail) return 'bad';
  if (row.observed === 'completed') return 'ok';
  return (row.desired === 'running') === (row.observed === 'running') ? 'ok' : 'moving';
}
