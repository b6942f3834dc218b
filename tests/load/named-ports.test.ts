import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { PortRequest } from '../../src/config/named-ports.js';
import { allocatePorts } from '../../src/load/named-ports.js';
import { readStack } from '../../src/load/read-stack.js';
import { PROVIDERS } from '../../src/providers/registry.js';
import { canListen } from '../../src/os/free-port.js';
import { stateKeyOf } from '../../src/os/state-key.js';
import { waitFor } from '../support/wait.js';
import { spawn, type ChildProcess } from 'node:child_process';

const folders: string[] = [];
const servers: Server[] = [];
afterEach(async () => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

function folder(): string {
  const made = mkdtempSync(join(tmpdir(), 'stack-ports-'));
  folders.push(made);
  return made;
}

const auto = (key: string, range?: { low: number; high: number }): PortRequest => {
  const [service, name] = key.split('.') as [string, string];
  return { key, service, name, want: range ? { kind: 'auto', range } : { kind: 'auto' } };
};
const fixed = (key: string, port: number): PortRequest => {
  const [service, name] = key.split('.') as [string, string];
  return { key, service, name, want: { kind: 'fixed', spec: { port } } };
};

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

/** A process listening on `port` with a service marker in its environment, once it listens. */
async function listenMarked(port: number, serviceId: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${port}, () => console.log('up'))`], { env: { ...process.env, STACK_SERVICE_ID: serviceId }, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  await waitFor(() => out.includes('up'), 5000, 'the marked process to listen');
  return child;
}

function listen(port = 0): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port }, () => resolve(server));
    servers.push(server);
  });
}

describe('allocatePorts', () => {
  it('picks a port for each auto one, keeps it in .stack/ports.json, and gives the same ports the next time', async () => {
    const root = folder();
    const requests = [auto('api.http'), fixed('api.admin', 9090), auto('api.debug', { low: 47000, high: 47999 })];
    const first = await allocatePorts(root, requests);
    expect([...first.allocation.keys()]).toEqual(['api.http', 'api.debug']);
    expect(first.allocation.get('api.debug')).toBeGreaterThanOrEqual(47000);
    expect(first.allocation.get('api.debug')).toBeLessThanOrEqual(47999);
    const kept = JSON.parse(readFileSync(join(root, '.stack', 'ports.json'), 'utf8')) as { folder: string; ports: Record<string, number> };
    expect(kept).toEqual({ formatVersion: 1, folder: realpathSync(root), ports: Object.fromEntries(first.allocation) });
    const again = await allocatePorts(root, requests);
    expect(again.allocation).toEqual(first.allocation);
    expect(again.notes).toEqual([]);
  });

  it('never gives two auto ports of a stack the same port, nor a fixed one (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 3 }), async (autos, fixedCount) => {
        const root = folder();
        const low = 48000;
        const requests = [
          ...Array.from({ length: fixedCount }, (_, index) => fixed(`f.p${index}`, low + index)),
          ...Array.from({ length: autos }, (_, index) => auto(`s.p${index}`, { low, high: low + fixedCount + autos - 1 })),
        ];
        const { allocation } = await allocatePorts(root, requests);
        const ports = [...allocation.values()];
        expect(new Set(ports).size).toBe(autos);
        for (let index = 0; index < fixedCount; index += 1) expect(ports).not.toContain(low + index);
        expect(allocation.has('f.p0')).toBe(false);
        expect((await allocatePorts(root, requests)).allocation).toEqual(allocation);
      }),
      { numRuns: 15 },
    );
  });

  it('picks again a kept port another process now holds, and says so', async () => {
    const root = folder();
    const { allocation } = await allocatePorts(root, [auto('api.http')]);
    const port = allocation.get('api.http') as number;
    await listen(port);
    const again = await allocatePorts(root, [auto('api.http')]);
    expect(again.allocation.get('api.http')).not.toBe(port);
    expect(again.notes).toEqual([expect.stringMatching(new RegExp(`^port api.http ${port} is held by pid ${process.pid} \\(.*\\): picked another$`))]);
  });

  it("keeps a port its own service holds, and picks again one another stack's service of that name holds", async () => {
    const [root, other] = [folder(), folder()];
    const { allocation } = await allocatePorts(root, [auto('api.http')]);
    const port = allocation.get('api.http') as number;
    const holder = await listenMarked(port, `${stateKeyOf(join(root, '.stack'))}/api`);
    expect(await allocatePorts(root, [auto('api.http')])).toEqual({ allocation, notes: [] });
    holder.kill('SIGKILL');
    await waitFor(() => canListen(port), 5000, 'the port to be free');
    await listenMarked(port, `${stateKeyOf(join(other, '.stack'))}/api`);
    expect((await allocatePorts(root, [auto('api.http')])).allocation.get('api.http')).not.toBe(port);
  });

  it('does not take a kept file copied from another folder', async () => {
    const root = folder();
    mkdirSync(join(root, '.stack'));
    writeFileSync(join(root, '.stack', 'ports.json'), JSON.stringify({ formatVersion: 1, folder: '/elsewhere', ports: { 'api.http': 47777 } }));
    const { allocation } = await allocatePorts(root, [auto('api.http', { low: 47770, high: 47790 })]);
    // The copy's port is picked anew (it could be 47777 by chance of the hash: the file says this folder now).
    expect(JSON.parse(readFileSync(join(root, '.stack', 'ports.json'), 'utf8')).folder).toBe(realpathSync(root));
    expect(allocation.get('api.http')).toBeGreaterThanOrEqual(47770);
  });

  it('says when a range is full', async () => {
    const root = folder();
    const held = await listen(0);
    const port = (held.address() as { port: number }).port;
    await expect(allocatePorts(root, [auto('api.http', { low: port, high: port })])).rejects.toThrow(`no free port for api.http in ${port}-${port}`);
  });

  it('is what readStack uses: the stack loads with its ports, the same on every load', async () => {
    const root = folder();
    const file = join(root, 'stack.yaml');
    writeFileSync(file, 'version: 1\nservices:\n  web:\n    command: serve ${ports.web.http}\n    ports: { http: auto }\n');
    const first = await readStack(file, { providers: PROVIDERS, env: {} });
    const port = first.services[0]?.namedPorts?.http;
    expect(port).toBeGreaterThan(0);
    expect(first.services[0]?.provider === 'process' && first.services[0].process.argv).toEqual(['serve', String(port)]);
    expect((await readStack(file, { providers: PROVIDERS, env: {} })).services[0]?.namedPorts).toEqual({ http: port });
  });
});
