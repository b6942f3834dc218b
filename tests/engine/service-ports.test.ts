import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { findServicePortOwners, type ServiceView } from '../../src/engine/service-ports.js';
import type { ObservedService } from '../../src/model/observed.js';
import { record } from '../state/helpers.js';
import { waitFor } from '../support/wait.js';

const children = new Set<ChildProcess>();
afterEach(async () => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  }
  children.clear();
});

/** A process listening on a port the kernel picks, in a process group of its own; `secret` rides on its command line. */
async function listener(secret = 'plain'): Promise<{ pid: number; port: number }> {
  const script = "const s=require('net').createServer().listen(0,'127.0.0.1',()=>console.log(s.address().port));setInterval(()=>{},1000)";
  const child = spawn(process.execPath, ['-e', script, secret], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
  children.add(child);
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const port = await waitFor(() => (out.includes('\n') ? Number(out.trim()) : undefined), 10_000, 'the listener');
  return { pid: child.pid as number, port };
}

const observedAs = (name: string, phase: ObservedService['phase']): ObservedService => ({ name, phase }) as ObservedService;
const redact = (text: string) => text.replaceAll('hunter2', '***');

describe('findServicePortOwners', () => {
  it('a port the process group of the record listens on is its own', async () => {
    const { pid, port } = await listener();
    const view: ServiceView = { service: { name: 'web', ports: [{ port }] }, record: record('web', { pid, pgid: pid }), observed: observedAs('web', 'running') };
    expect(await findServicePortOwners([view], redact)).toEqual(new Map([['web', [{ kind: 'own' }]]]));
  });

  it('a service that does not run owns nothing: whoever listens is named, its command line redacted', async () => {
    const { pid, port } = await listener('hunter2');
    const view: ServiceView = { service: { name: 'db', ports: [{ port }] }, record: undefined, observed: observedAs('db', 'stopped') };
    const owners = await findServicePortOwners([view], redact);
    expect(owners.get('db')).toEqual([{ kind: 'foreign', pid, command: expect.stringContaining('***') as unknown }]);
    expect(owners.get('db')?.[0]).not.toMatchObject({ command: expect.stringContaining('hunter2') as unknown });
  });

  it('a running service with no process group on record (compose, a plugin) cannot be told from another listener', async () => {
    const { port } = await listener();
    const view: ServiceView = { service: { name: 'cache', ports: [{ port }] }, record: record('cache', { provider: 'compose' }), observed: observedAs('cache', 'running') };
    expect(await findServicePortOwners([view], redact)).toEqual(new Map([['cache', [{ kind: 'listening' }]]]));
  });

  it('a port nobody listens on is free; a service without ports is left out', async () => {
    const { pid, port } = await listener();
    process.kill(-pid, 'SIGKILL');
    await waitFor(async () => (await findServicePortOwners([{ service: { name: 'web', ports: [{ port }] }, record: undefined, observed: undefined }], redact)).get('web')?.[0]?.kind === 'free', 5000, 'the port to be free');
    const none: ServiceView = { service: { name: 'worker', ports: [] }, record: undefined, observed: observedAs('worker', 'running') };
    expect(await findServicePortOwners([none], redact)).toEqual(new Map());
  });
});
