import { mkdtemp, realpath, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { desiredService, type DraftService } from '../support/desired-service.js';
import type { DesiredService, Probe, ProbeCheck } from '../../src/model/desired.js';
import { listGroupMembers } from '../../src/os/group-members.js';
import type { OperationContext } from '../../src/model/provider.js';
import { waitFor } from '../support/wait.js';

export { waitFor };

export async function makeTempDir(): Promise<string> {
  return realpath(await mkdtemp(path.join(os.tmpdir(), 'stack-providers-')));
}

/** Process groups a test started; killed (and confirmed gone) after each test. */
export class GroupTracker {
  private readonly pgids = new Set<number>();
  track(pgid: number | undefined): void {
    if (pgid !== undefined) this.pgids.add(pgid);
  }
  async killAll(): Promise<void> {
    for (const pgid of this.pgids) {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    for (const pgid of this.pgids) {
      await waitFor(async () => (await listGroupMembers(pgid)).length === 0, 5000, `group ${pgid} to go`);
    }
    this.pgids.clear();
  }
}

export function makeContext(root: string, verbose?: (line: string) => void): OperationContext {
  return { signal: new AbortController().signal, root, stateDir: path.join(root, '.stack'), verbose, redact: (text) => text };
}

export function probe(check: ProbeCheck, timeoutMs = 5000, intervalMs = 50): Probe {
  return { check, timeoutMs, intervalMs, failureThreshold: 3 };
}

export function makeService(
  root: string,
  argv: string[],
  overrides: Partial<DraftService> & { env?: Record<string, string>; cwd?: string } = {},
): DesiredService {
  const { env = {}, cwd = root, ...rest } = overrides;
  return desiredService({
    name: 'web',
    index: 0,
    provider: 'process',
    enabled: true,
    state: 'running',
    dependsOn: [],
    ports: [],
    start: { settleMs: 100 }, stop: { signal: 'SIGTERM', timeoutMs: 3000 },
    restart: { policy: 'on-failure', maxRestarts: 5, backoff: { initialMs: 500, maxMs: 30_000, resetMs: 10_000 } },
    logs: { maxSizeBytes: 10_000_000, maxFiles: 3 },
    process: { argv, shell: argv[0] === '/bin/sh', cwd, env, envFiles: [] },
    sensitive: [],
    ...rest,
  });
}

/** A port nothing listens on right now (listen on 0, read it, close). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function removeDir(dir: string | undefined): Promise<void> {
  if (dir) await rm(dir, { recursive: true, force: true });
}

/** True when `pid` exists and is not a zombie. */
export async function isAlive(pid: number): Promise<boolean> {
  const { readProcStat } = await import('../../src/os/proc-stat.js');
  const stat = await readProcStat(pid);
  return stat !== undefined && stat.state !== 'Z';
}
