/**
 * Who listens on a TCP port: `/proc/net/tcp{,6}` lists listening sockets with their inode,
 * `/proc/<pid>/fd/*` links to `socket:[inode]` name the process holding each. Linux only;
 * sockets of other users' processes are found without their pid (their fds are not readable).
 */

import { readdir, readFile, readlink } from 'node:fs/promises';
import type { PortSpec } from '../model/desired.js';
import { readProcStat } from './proc-stat.js';

/** A listening TCP socket. `host` is the bound address (`0.0.0.0` / `::` for every address). */
export interface Listener {
  host: string;
  port: number;
  inode: string;
}

/** A declared port that some process already listens on. */
export interface PortHolder {
  port: number;
  host?: string;
  /** Found when the socket's process is visible to us. */
  pid?: number;
  pgid?: number;
  /** Its command line, arguments joined by spaces. */
  command?: string;
}

const LISTEN = '0A';

/** Parses `/proc/net/tcp` or `/proc/net/tcp6`: the listening sockets only. */
export function parseProcNetTcp(text: string): Listener[] {
  const listeners: Listener[] = [];
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    const [local, state, inode] = [fields[1], fields[3], fields[9]];
    if (!local || state !== LISTEN || !inode) continue;
    const [hexHost, hexPort] = local.split(':');
    if (!hexHost || !hexPort) continue;
    listeners.push({ host: decodeHost(hexHost), port: Number.parseInt(hexPort, 16), inode });
  }
  return listeners;
}

// The kernel prints each 32-bit word of the address in host byte order (little-endian here).
function decodeHost(hex: string): string {
  const words = (hex.match(/.{8}/g) ?? []).map((word) => (word.match(/../g) ?? []).reverse().join(''));
  if (words.length === 1) return (words[0]?.match(/../g) ?? []).map((byte) => Number.parseInt(byte, 16)).join('.');
  const joined = words.join('');
  if (/^0{20}ffff/i.test(joined)) return decodeHost(hex.slice(24));
  const groups = (joined.match(/.{4}/g) ?? []).map((group) => Number.parseInt(group, 16).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

/** Every listening TCP socket on this machine (IPv4 and IPv6). */
export async function readListeners(): Promise<Listener[]> {
  const texts = await Promise.all(['/proc/net/tcp', '/proc/net/tcp6'].map((file) => readFile(file, 'utf8').catch(() => '')));
  return texts.flatMap(parseProcNetTcp);
}

/** The pid holding each socket inode, for the processes whose fds we may read. */
export async function findSocketOwners(inodes: ReadonlySet<string>): Promise<Map<string, number>> {
  const owners = new Map<string, number>();
  if (inodes.size === 0) return owners;
  const pids = (await readdir('/proc').catch(() => [] as string[])).filter((entry) => /^\d+$/.test(entry));
  await Promise.all(
    pids.map(async (pid) => {
      const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
      for (const fd of fds) {
        const link = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
        const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
        if (inode !== undefined && inodes.has(inode) && !owners.has(inode)) owners.set(inode, Number(pid));
      }
    }),
  );
  return owners;
}

/** `/proc/<pid>/cmdline` as one line, or undefined once the process is gone. */
export async function readCommandLine(pid: number): Promise<string | undefined> {
  const text = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => undefined);
  if (!text) return undefined;
  return text.replace(/\0+$/, '').split('\0').join(' ');
}

const ANY = new Set(['0.0.0.0', '::', '*', undefined]);
const LOOPBACK_NAMES: Record<string, string> = { localhost: '127.0.0.1' };

/** A declared port and a listener clash when the numbers match and either side covers the other's address. */
export function listenerClashes(spec: PortSpec, listener: Pick<Listener, 'host' | 'port'>): boolean {
  if (spec.port !== listener.port) return false;
  const host = spec.host === undefined ? undefined : (LOOPBACK_NAMES[spec.host] ?? spec.host);
  return ANY.has(host) || ANY.has(listener.host) || host === listener.host;
}

/** The processes already listening on any of `ports`, with pid, process group and command when visible. */
export async function findPortHolders(ports: readonly PortSpec[]): Promise<PortHolder[]> {
  if (ports.length === 0) return [];
  const listeners = await readListeners();
  const clashing = ports.flatMap((spec) => listeners.filter((listener) => listenerClashes(spec, listener)).map((listener) => ({ spec, listener })));
  if (clashing.length === 0) return [];
  const owners = await findSocketOwners(new Set(clashing.map(({ listener }) => listener.inode)));
  const holders = await Promise.all(
    clashing.map(async ({ spec, listener }): Promise<PortHolder> => {
      const pid = owners.get(listener.inode);
      const base: PortHolder = { port: spec.port, ...(spec.host === undefined ? {} : { host: spec.host }) };
      if (pid === undefined) return base;
      const [stat, command] = await Promise.all([readProcStat(pid).catch(() => undefined), readCommandLine(pid)]);
      return { ...base, pid, ...(stat ? { pgid: stat.pgrp } : {}), ...(command === undefined ? {} : { command }) };
    }),
  );
  // One entry per declared port and holder (IPv4 and IPv6 sockets of one process count once).
  const seen = new Set<string>();
  return holders.filter((holder) => {
    const key = `${holder.host ?? ''}:${holder.port}:${holder.pid ?? '?'}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
