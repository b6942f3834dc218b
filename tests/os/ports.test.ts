import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { findPortConflicts } from '../../src/engine/port-conflicts.js';
import { probePortOpen } from '../../src/os/port-probe.js';
import { findPortHolders, listenerClashes, parseProcNetTcp, readListeners } from '../../src/os/ports.js';
import { observedMap, service, stack } from '../reconcile/factory.js';
import { waitFor } from '../support/stack-cli.js';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

/** A foreign process listening on a fresh port; resolves once it says so on stdout. */
async function foreignListener(host = '127.0.0.1'): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['-e', `const s=require('net').createServer().listen(0, ${JSON.stringify(host)}, () => console.log(s.address().port)); setInterval(() => {}, 1000); // port-holder-marker`], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  let out = '';
  child.stdout?.on('data', (chunk) => (out += chunk));
  const port = await waitFor(() => (out.includes('\n') ? Number(out.trim()) : undefined), 10_000, 'the child to listen');
  return { child, port };
}

const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 123456 1 0000000000000000 100 0 0 10 0
   1: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2222 1 0000000000000000 100 0 0 10 0
   2: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000  1000        0 999 1 0000000000000000 100 0 0 10 0
`;
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 3333 1 0000000000000000 100 0 0 10 0
   1: 00000000000000000000000001000000:1F91 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4444 1 0000000000000000 100 0 0 10 0
   2: 0000000000000000FFFF00000100007F:1F92 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5555 1 0000000000000000 100 0 0 10 0
`;

describe('parseProcNetTcp', () => {
  it('keeps listening sockets only, with decoded addresses', () => {
    expect(parseProcNetTcp(TCP)).toEqual([
      { host: '127.0.0.1', port: 8080, inode: '123456' },
      { host: '0.0.0.0', port: 22, inode: '2222' },
    ]);
    expect(parseProcNetTcp(TCP6)).toEqual([
      { host: '::', port: 80, inode: '3333' },
      { host: '::1', port: 8081, inode: '4444' },
      { host: '127.0.0.1', port: 8082, inode: '5555' },
    ]);
  });

  it('matches hosts like a bind would clash', () => {
    expect(listenerClashes({ port: 80 }, { host: '127.0.0.1', port: 80 })).toBe(true);
    expect(listenerClashes({ port: 80, host: '127.0.0.1' }, { host: '0.0.0.0', port: 80 })).toBe(true);
    expect(listenerClashes({ port: 80, host: 'localhost' }, { host: '127.0.0.1', port: 80 })).toBe(true);
    expect(listenerClashes({ port: 80, host: '127.0.0.2' }, { host: '127.0.0.1', port: 80 })).toBe(false);
    expect(listenerClashes({ port: 81 }, { host: '0.0.0.0', port: 80 })).toBe(false);
  });
});

describe('findPortHolders on a real socket', () => {
  it('finds the pid and command of a foreign process listening on a port', async () => {
    const { child, port } = await foreignListener();
    expect((await readListeners()).some((listener) => listener.port === port)).toBe(true);
    const holders = await findPortHolders([{ port }]);
    expect(holders).toHaveLength(1);
    expect(holders[0]?.pid).toBe(child.pid);
    expect(holders[0]?.pgid).toBeTypeOf('number');
    expect(holders[0]?.command).toContain('port-holder-marker');
  });

  it('finds nothing on a free port', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = server.address() as { port: number };
        server.close(() => resolve(free));
      });
    });
    expect(await findPortHolders([{ port }])).toEqual([]);
    expect(await probePortOpen({ port }, 500)).toBe(false);
  });

  it('says a held port accepts connections', async () => {
    const { port } = await foreignListener();
    expect(await probePortOpen({ port }, 2000)).toBe(true);
  });

  it('reports a conflict for a service about to start, unless the holder is one of ours', async () => {
    const { child, port } = await foreignListener();
    const desired = stack([service('db', { ports: [{ port }] }), service('up', { ports: [{ port }] })]);
    const observed = observedMap({ db: 'absent', up: 'running' });
    const found = await findPortConflicts(desired, observed, new Map());
    expect([...found.keys()]).toEqual(['db']);
    expect(found.get('db')).toEqual([{ port, pid: child.pid, command: expect.stringContaining('port-holder-marker') }]);
    const ours = new Map([['old', { provider: 'process' as const, specHash: '', installHash: '', fields: {}, restarts: 0, pid: child.pid, pgid: child.pid }]]);
    expect((await findPortConflicts(desired, observed, ours)).size).toBe(0);
  });
});
