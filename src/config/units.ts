/** Parsers for the small value languages of stack.yaml: durations, sizes, ports and named ports. Pure. */

import type { PortSpec } from '../model/desired.js';

export const DURATION_PATTERN = /^\s*(\d{1,9})(ms|s|m|h)\s*$/;
const DURATION_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
/** Timers in Node overflow past 2^31-1 ms, so anything above a day is almost surely a typo. */
export const MAX_DURATION_MS = 24 * 3_600_000;

/** `500ms | 10s | 2m | 1h` → milliseconds, or undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION_PATTERN.exec(text);
  if (!match) return undefined;
  const ms = Number(match[1]) * DURATION_MS[match[2] as keyof typeof DURATION_MS];
  return ms <= MAX_DURATION_MS ? ms : undefined;
}

/**
 * `500ms`, `10s`, `1.5s`, `2m`: a duration the way stack.yaml writes one, the inverse of
 * `parseDuration` for whole units. The one wording for every duration stack prints: timeouts
 * in errors and notes, and elapsed times in progress lines and summaries.
 */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000 || ms % 60_000 !== 0) return `${Number((ms / 1000).toFixed(2))}s`;
  return `${ms / 60_000}m`;
}

const SIZE = /^(\d{1,12})\s*(b|kb|mb|gb|kib|mib|gib)?$/i;
const SIZE_BYTES: Record<string, number> = {
  b: 1,
  kb: 1000,
  mb: 1000 ** 2,
  gb: 1000 ** 3,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

/** `10MB`, `512KiB`, `1048576` → bytes, or undefined. */
export function parseSize(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value > 0 ? value : undefined;
  const match = SIZE.exec(value.trim());
  if (!match) return undefined;
  const bytes = Number(match[1]) * (SIZE_BYTES[(match[2] ?? 'b').toLowerCase()] ?? 1);
  return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : undefined;
}

// An all-digit host is refused: `"8080:80"` is compose's HOST:CONTAINER, not host 8080 (which
// resolvers would read as the address 0.0.31.144).
const ADDRESS = /^(?:(\[[0-9A-Fa-f:.]+\]|(?!\d+:)[A-Za-z0-9][A-Za-z0-9.-]*):)?(\d{1,5})$/;

/** `4222`, `"4222"` or `"127.0.0.1:4222"` → a port, or undefined. */
export function parsePort(value: string | number): PortSpec | undefined {
  if (typeof value === 'number') return isPortNumber(value) ? { port: value } : undefined;
  const match = ADDRESS.exec(value.trim());
  if (!match) return undefined;
  const port = Number(match[2]);
  if (!isPortNumber(port)) return undefined;
  const host = match[1]?.replace(/^\[(.*)\]$/, '$1');
  return host === undefined ? { port } : { host, port };
}

function isPortNumber(value: number): boolean {
  return Number.isInteger(value) && value >= 1 && value <= 65_535;
}

/** `limits:` bounds: below 1 MB a process cannot start; cgroups' CPU quota is at least 1 ms per 100 ms. */
export const MIN_MEMORY_LIMIT = 1000 ** 2;
export const MIN_CPU_LIMIT = 0.01;
export const MAX_CPU_LIMIT = 1024;
/** The kernel's own ceiling of pid numbers (pid_max's largest value). */
export const MAX_PIDS_LIMIT = 4_194_304;

const SIZE_UNITS = [
  ['GiB', 1024 ** 3],
  ['GB', 1000 ** 3],
  ['MiB', 1024 ** 2],
  ['MB', 1000 ** 2],
  ['KiB', 1024],
  ['kB', 1000],
] as const;

/**
 * A size the way stack.yaml likely wrote it: `512 MB`, `1 GiB`, the largest unit it is a whole
 * number of (bytes otherwise). The wording of a memory limit in status, check and exit reasons.
 */
export function formatSize(bytes: number): string {
  const unit = SIZE_UNITS.find(([, size]) => bytes >= size && bytes % size === 0);
  return unit ? `${bytes / unit[1]} ${unit[0]}` : `${bytes} B`;
}

/**
 * `bytes` in megabytes of the family `limit` is written in (`530 MB` beside `512 MB`, `530 MiB`
 * beside `1 GiB`): a reading compared with its limit at a glance.
 */
export function formatSizeLike(bytes: number, limit: number): string {
  const binary = limit % 1024 === 0 && limit % 1000 !== 0;
  return binary ? `${Math.round(bytes / 1024 ** 2)} MiB` : `${Math.round(bytes / 1000 ** 2)} MB`;
}

/** A port's name in the map form: it is read back in `${ports.svc.name}`, so no dots. */
export const PORT_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,62}$/;

/** What one name asks for: a port as written, or any free one (in a range when given). */
export type PortWant = { kind: 'fixed'; spec: PortSpec } | { kind: 'auto'; range?: { low: number; high: number } };

const AUTO = /^auto(?::(\d{1,5})-(\d{1,5}))?$/;

/** `auto`, `"auto:7000-7999"`, `9090`, `"127.0.0.1:9090"` → what is asked, or undefined. */
export function parsePortWant(value: unknown): PortWant | undefined {
  if (typeof value === 'string') {
    const auto = AUTO.exec(value.trim());
    if (auto) {
      if (auto[1] === undefined) return { kind: 'auto' };
      const [low, high] = [Number(auto[1]), Number(auto[2])];
      return low >= 1 && low <= high && high <= 65_535 ? { kind: 'auto', range: { low, high } } : undefined;
    }
  }
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const spec = parsePort(value);
  return spec ? { kind: 'fixed', spec } : undefined;
}
