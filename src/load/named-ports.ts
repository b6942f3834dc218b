/**
 * The `auto` named ports of one stack folder: picked once, kept in `.stack/ports.json`, so a
 * copy of the stack (a git worktree) has ports of its own and keeps them across applies. The
 * pure loader says what is asked (config/named-ports.ts); this is where the machine is asked.
 */

import { realpath, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PortRequest } from '../config/named-ports.js';
import { canListen, kernelFreePort } from '../os/free-port.js';
import { stateKeysOf } from '../os/state-key.js';
import { findPortHolders } from '../os/ports.js';
import { ensureOwnDir, readRegularFile } from '../os/safe-file.js';
import { writeFileAtomic } from '../os/write-atomic.js';
import { ExitCode, StackError } from '../model/errors.js';
import { hashString } from '../model/hash.js';

export const PORTS_FILE = 'ports.json';
const FORMAT_VERSION = 1;

/** What `.stack/ports.json` holds. */
interface KeptPorts {
  formatVersion: 1;
  /** The stack folder's real path: a file copied along with the folder is not this copy's. */
  folder: string;
  /** `web.http` → 41234. */
  ports: Record<string, number>;
}

export interface PortsAllocated {
  allocation: Map<string, number>;
  /** Ports picked again, and why: the plan shows them. */
  notes: string[];
}

export interface AllocateOptions {
  /** Default true: pick and write. False: read what is kept and pick in memory only (a stack at a git revision). */
  write?: boolean;
}

/**
 * A port for every auto request: the one kept for it when it is still usable, else a free one
 * (in its range, starting at a place of this folder's own so two copies picking at once seldom
 * try the same first). Fixed ports, and ports kept for other names, are never picked.
 */
export async function allocatePorts(root: string, requests: readonly PortRequest[], options: AllocateOptions = {}): Promise<PortsAllocated> {
  const folder = await realpath(root).catch(() => root);
  const stateDir = join(root, '.stack');
  const file = join(stateDir, PORTS_FILE);
  const kept = await readKept(file, folder);
  const taken = new Set(requests.flatMap((request) => (request.want.kind === 'fixed' ? [request.want.spec.port] : [])));
  const allocation = new Map<string, number>();
  const notes: string[] = [];
  const autos = requests.filter((request) => request.want.kind === 'auto');
  for (const request of autos) {
    const port = kept[request.key];
    if (port === undefined || !fits(port, request) || taken.has(port)) continue;
    const foreign = await foreignHolder(port, request, stateDir);
    if (foreign !== undefined) {
      notes.push(`port ${request.key} ${port} is held by ${foreign}: picked another`);
      continue;
    }
    allocation.set(request.key, port);
    taken.add(port);
  }
  for (const request of autos.filter((each) => !allocation.has(each.key))) {
    const port = await pickFree(request, taken, folder);
    allocation.set(request.key, port);
    taken.add(port);
  }
  const changed = autos.some((request) => kept[request.key] !== allocation.get(request.key));
  if (!changed || options.write === false) return { allocation, notes };
  // Another stack command of this folder may have picked meanwhile (a controller reloading while
  // `apply` runs): a port it kept for a name this load picked afresh wins, so both agree.
  const now = await readKept(file, folder);
  for (const request of autos) {
    const theirs = now[request.key];
    const free = [...allocation].every(([key, port]) => key === request.key || port !== theirs);
    if (kept[request.key] === undefined && theirs !== undefined && fits(theirs, request) && free) allocation.set(request.key, theirs);
  }
  await keep(stateDir, file, folder, now, allocation);
  return { allocation, notes };
}

async function readKept(file: string, folder: string): Promise<Record<string, number>> {
  const read = await readRegularFile(file, { maxBytes: 1024 * 1024, noFollow: true }).catch(() => undefined);
  if (!read?.ok) return {};
  try {
    const doc = JSON.parse(read.bytes.toString('utf8')) as Partial<KeptPorts>;
    if (doc.formatVersion !== FORMAT_VERSION || doc.folder !== folder || typeof doc.ports !== 'object' || doc.ports === null) return {};
    return Object.fromEntries(Object.entries(doc.ports).filter((entry): entry is [string, number] => Number.isInteger(entry[1]) && entry[1] >= 1 && entry[1] <= 65_535));
  } catch {
    return {};
  }
}

/**
 * Writes what was picked, keeping what the file holds for names not asked now (a service
 * disabled for a while keeps its port). Best effort: a folder stack cannot write to still loads,
 * with the ports picked this time.
 */
async function keep(stateDir: string, file: string, folder: string, kept: Record<string, number>, allocation: ReadonlyMap<string, number>): Promise<void> {
  const doc: KeptPorts = { formatVersion: FORMAT_VERSION, folder, ports: { ...kept, ...Object.fromEntries(allocation) } };
  try {
    await ensureOwnDir(stateDir);
    await writeFileAtomic(file, `${JSON.stringify(doc, null, 2)}\n`, { mode: 0o600 });
  } catch {
    // The ports still hold for this load; the next one picks again.
  }
}

function fits(port: number, request: PortRequest): boolean {
  const range = request.want.kind === 'auto' ? request.want.range : undefined;
  return range === undefined || (port >= range.low && port <= range.high);
}

/**
 * Who holds a kept port when that is not the service itself: a process whose environment carries
 * no marker of this stack folder's service (`STACK_SERVICE_ID=<key>/<service>`, os/state-key.ts).
 * Then the service is not running on it, and it gets another. A holder stack cannot see (another
 * user's, a container's proxy) keeps the port: the plan's port check names it.
 */
async function foreignHolder(port: number, request: PortRequest, stateDir: string): Promise<string | undefined> {
  if (await canListen(port)) return undefined;
  const holders = (await findPortHolders([{ port }]).catch(() => [])).filter((holder) => holder.pid !== undefined);
  const keys = stateKeysOf(stateDir);
  const foreign: string[] = [];
  for (const holder of holders) {
    const environ = await readFile(`/proc/${holder.pid}/environ`, 'utf8').catch(() => undefined);
    if (environ === undefined) continue;
    // The service runs on it (beside whatever else listens there): it keeps its port.
    if (carriesMarkerOf(environ, keys, request.service)) return undefined;
    foreign.push(`pid ${holder.pid}${holder.command === undefined ? '' : ` (${holder.command.split(' ')[0]})`}`);
  }
  return foreign[0];
}

/** `STACK_SERVICE_ID=<key>/<service>` or `<key>/<service>.<replica>` of this folder's keys (state/service-marker.ts). */
function carriesMarkerOf(environ: string, keys: readonly string[], service: string): boolean {
  return environ.split('\0').some((entry) => {
    const match = /^STACK_SERVICE_ID=([^/]*)\/(.*)$/.exec(entry);
    return match !== null && keys.includes(match[1] as string) && (match[2] === service || match[2]?.startsWith(`${service}.`) === true);
  });
}

async function pickFree(request: PortRequest, taken: ReadonlySet<string | number>, folder: string): Promise<number> {
  const range = request.want.kind === 'auto' ? request.want.range : undefined;
  if (range === undefined) {
    for (let attempt = 0; attempt < 20; attempt += 1) {
      const port = await kernelFreePort();
      if (!taken.has(port)) return port;
    }
    throw new StackError(ExitCode.actionFailed, `no free port for ${request.key}: the kernel kept giving ports already taken`);
  }
  const size = range.high - range.low + 1;
  const start = Number.parseInt(hashString(`${folder}\0${request.key}`).slice(0, 8), 16) % size;
  for (let step = 0; step < size; step += 1) {
    const port = range.low + ((start + step) % size);
    if (!taken.has(port) && (await canListen(port))) return port;
  }
  throw new StackError(ExitCode.actionFailed, `no free port for ${request.key} in ${range.low}-${range.high}`, { hint: 'widen the range, or stop what holds those ports' });
}
