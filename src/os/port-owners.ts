/**
 * Whose are a service's declared ports: read from /proc, never by connecting (a connection
 * shows in the service's own logs: postgres writes "incomplete startup packet" for each).
 */

import { readdir, readlink } from 'node:fs/promises';
import type { PortSpec } from '../model/desired.js';
import { findSocketOwners, listenerClashes, readCommandLine, readListeners, type Listener } from './ports.js';
import { listGroupMembers } from './group-members.js';

/** Who listens on one declared port. */
export type PortOwner =
  | { kind: 'free' }
  /** A process of the service's own process group listens. */
  | { kind: 'own' }
  /** Someone listens; for a service without a process group of its own (compose, plugin) stack cannot tell whom. */
  | { kind: 'listening' }
  /** Another process listens: pid and command when it is visible to us (not another user's). */
  | { kind: 'foreign'; pid?: number; command?: string };

/** The socket inodes the processes of group `pgid` hold. */
async function groupSocketInodes(pgid: number): Promise<Set<string>> {
  const inodes = new Set<string>();
  const members = await listGroupMembers(pgid).catch(() => []);
  await Promise.all(
    members.map(async ({ pid }) => {
      const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
      await Promise.all(
        fds.map(async (fd) => {
          const inode = /^socket:\[(\d+)\]$/.exec(await readlink(`/proc/${pid}/fd/${fd}`).catch(() => ''))?.[1];
          if (inode !== undefined) inodes.add(inode);
        }),
      );
    }),
  );
  return inodes;
}

/**
 * For each of `ports` (in order), who listens on it. `pgid`: the service's running process group,
 * when it has one; `grouped`: whether the service's provider runs it in a group of its own at all.
 */
export async function findPortOwners(ports: readonly PortSpec[], service: { pgid?: number | undefined; grouped: boolean }, listeners?: readonly Listener[]): Promise<PortOwner[]> {
  if (ports.length === 0) return [];
  const all = listeners ?? (await readListeners());
  const clashing = ports.map((spec) => all.filter((listener) => listenerClashes(spec, listener)));
  if (clashing.every((found) => found.length === 0)) return ports.map(() => ({ kind: 'free' }));
  if (!service.grouped) return clashing.map((found) => ({ kind: found.length > 0 ? 'listening' : 'free' }));
  const own = service.pgid === undefined ? new Set<string>() : await groupSocketInodes(service.pgid);
  const foreign = clashing.flatMap((found) => (found.some((listener) => own.has(listener.inode)) ? [] : found.map((listener) => listener.inode)));
  const holders = foreign.length === 0 ? new Map<string, number>() : await findSocketOwners(new Set(foreign));
  return Promise.all(
    clashing.map(async (found): Promise<PortOwner> => {
      if (found.length === 0) return { kind: 'free' };
      if (found.some((listener) => own.has(listener.inode))) return { kind: 'own' };
      const pid = found.map((listener) => holders.get(listener.inode)).find((each) => each !== undefined);
      if (pid === undefined) return { kind: 'foreign' };
      const command = await readCommandLine(pid);
      return { kind: 'foreign', pid, ...(command === undefined ? {} : { command }) };
    }),
  );
}
