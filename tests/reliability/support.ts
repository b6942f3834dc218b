// Shared by the reliability suite: a stack of small TCP servers, the invariants every fault test
// checks (exactly one process per service, every one recorded, no orphans), and the figures.
import { createServer } from 'node:net';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { stack, tempStack } from '../support/stack-cli.js';

export type Scratch = ReturnType<typeof tempStack>;

/** A unique word in every argv of one test, so /proc tells its processes apart from others'. */
export function uniqueMarker(): string {
  return `rel${process.pid}x${Math.floor(Math.random() * 1e9).toString(36)}`;
}

export async function freePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) {
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port: taken } = server.address() as { port: number };
        server.close(() => resolve(taken));
      });
    });
    if (!ports.includes(port)) ports.push(port);
  }
  return ports;
}

/** A TCP server that listens after a short, varying delay, so readiness takes a little time. */
export const SERVER_JS = `const [, , marker, name, port] = process.argv;
const delay = 20 + (Number(port) % 7) * 10;
setTimeout(() => require('net').createServer((socket) => socket.end()).listen(Number(port), '127.0.0.1'), delay);
setInterval(() => {}, 1 << 30);
`;

/**
 * Eight services with ready probes and dependency chains:
 * a ← b ← c ← d, a ← e, f ← g, h (alone), so starts run in parallel and in order.
 */
export function serverStackYaml(marker: string, ports: number[]): string {
  const deps: Record<string, string[]> = { a: [], b: ['a'], c: ['b'], d: ['c'], e: ['a'], f: [], g: ['f'], h: [] };
  const lines = ['version: 1', 'services:'];
  Object.entries(deps).forEach(([name, dependsOn], index) => {
    lines.push(`  ${name}:`);
    lines.push(`    command: [node, server.js, ${marker}, ${name}, "${ports[index]}"]`);
    lines.push(`    ready: { tcp: ${ports[index]}, timeout: 10s, interval: 20ms }`);
    lines.push(`    stop: { timeout: 2s }`);
    if (dependsOn.length > 0) lines.push(`    dependsOn: [${dependsOn.join(', ')}]`);
  });
  return `${lines.join('\n')}\n`;
}

export const SERVICE_NAMES = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];

export interface Proc {
  pid: number;
  pgid: number;
  startTicks: number;
  argv: string[];
}

/** Live (non-zombie) processes whose argv holds `marker` as one of its words. */
export function processesMarked(marker: string): Proc[] {
  const found: Proc[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter((word) => word !== '');
      if (!argv.includes(marker)) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === 'Z') continue;
      found.push({ pid: Number(entry), pgid: Number(fields[2]), startTicks: Number(fields[19]), argv });
    } catch {
      // exited while we looked
    }
  }
  return found;
}

export interface Invariants {
  /** Services with more than one live process. */
  duplicates: string[];
  /** Live processes of the stack that the state file does not record. */
  orphans: Proc[];
  /** Services with no live process. */
  missing: string[];
  /** Recorded pids that are not a live process of that service started at the recorded time. */
  badRecords: string[];
}

/** Reads the state file (as JSON: it must parse) and compares it with /proc. */
export function checkInvariants(s: Scratch, marker: string, services: readonly string[] = SERVICE_NAMES): Invariants {
  const state = JSON.parse(readFileSync(join(s.dir, '.stack', 'state.json'), 'utf8')) as { services: Record<string, { pid?: number; pgid?: number; startTicks?: number }> };
  const procs = processesMarked(marker);
  const result: Invariants = { duplicates: [], orphans: [], missing: [], badRecords: [] };
  for (const name of services) {
    const mine = procs.filter((proc) => proc.argv.includes(name) && proc.argv.includes('server.js'));
    if (mine.length > 1) result.duplicates.push(name);
    if (mine.length === 0) result.missing.push(name);
    const record = state.services[name];
    if (record?.pid !== undefined && !mine.some((proc) => proc.pid === record.pid && proc.startTicks === record.startTicks)) result.badRecords.push(name);
  }
  const recordedGroups = new Set(Object.values(state.services).map((record) => record.pgid ?? record.pid));
  result.orphans = procs.filter((proc) => !recordedGroups.has(proc.pgid));
  return result;
}

export const CLEAN: Invariants = { duplicates: [], orphans: [], missing: [], badRecords: [] };

/** A small seeded generator (mulberry32): the same seed gives the same fault points. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Lines of a CLI's output that look like a JavaScript stack trace. */
export function stackTraceLines(text: string): string[] {
  return text.split('\n').filter((line) => /^\s+at .+(\(|:\d+)/.test(line));
}

/** The suite's figures, printed once per file so a run can be quoted in docs/reliability.md. */
export const figures = { faultsInjected: 0, duplicatesFound: 0, orphansFound: 0, stackTraces: 0, adoptions: 0 };

export function tally(invariants: Invariants): void {
  figures.duplicatesFound += invariants.duplicates.length;
  figures.orphansFound += invariants.orphans.length;
}

export function printFigures(file: string): void {
  process.stdout.write(`RELIABILITY ${JSON.stringify({ file, ...figures })}\n`);
}

/**
 * For a test file: a function that makes a stack of small TCP servers with ready probes (a
 * unique marker in their argv), each brought down and removed after its test.
 */
export function useServerStacks(): () => Promise<{ s: Scratch; marker: string }> {
  const made: Scratch[] = [];
  afterEach(() => {
    for (const created of made.splice(0)) {
      stack(['down', '--yes', '-f', created.file]);
      created.cleanup();
    }
  });
  return async () => {
    const marker = uniqueMarker();
    const s = tempStack(serverStackYaml(marker, await freePorts(SERVICE_NAMES.length)), { 'server.js': SERVER_JS });
    made.push(s);
    return { s, marker };
  };
}
