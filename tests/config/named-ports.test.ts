import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadStackText } from '../../src/config/load.js';
import type { Loaded } from '../../src/config/load.js';
import { listPortRequests, referencedKey } from '../../src/config/named-ports.js';
import { parsePortWant } from '../../src/config/units.js';
import { PROVIDERS } from '../../src/providers/registry.js';
import { FILE, issueLines, yaml } from './helpers.js';

function loadWith(text: string, ports: Record<string, number>, env: Record<string, string> = {}): Loaded {
  return loadStackText(text, FILE, new Map(), { providers: PROVIDERS, displayFile: 'stack.yaml', env, ports: new Map(Object.entries(ports)) });
}

const TWO = yaml(
  'version: 1',
  'services:',
  '  api:',
  '    command: python3 -m http.server ${ports.api.http}',
  '    ports: { http: auto, admin: 9090, debug: "auto:7000-7999" }',
  '    ready: { http: "http://127.0.0.1:${ports.api.http}/" }',
  '  worker:',
  '    command: ./worker',
  '    env: { API_URL: "http://127.0.0.1:${ports.api.http}", ADMIN: "${ports.api.admin}" }',
  '    dependsOn: [api]',
);

describe('named ports', () => {
  it('parses auto, a range and fixed ports, and refuses the rest', () => {
    expect(parsePortWant('auto')).toEqual({ kind: 'auto' });
    expect(parsePortWant('auto:7000-7999')).toEqual({ kind: 'auto', range: { low: 7000, high: 7999 } });
    expect(parsePortWant(9090)).toEqual({ kind: 'fixed', spec: { port: 9090 } });
    expect(parsePortWant('127.0.0.1:9090')).toEqual({ kind: 'fixed', spec: { host: '127.0.0.1', port: 9090 } });
    for (const bad of ['auto:9-1', 'auto:1-70000', 'automatic', 0, true]) expect(parsePortWant(bad)).toBeUndefined();
  });

  it('lists what a stack asks for, a port per replica', () => {
    const text = yaml('version: 1', 'services:', '  web:', '    command: x', '    replicas: 2', '    ports: { http: auto, admin: "${ADMIN:-9000}" }');
    const requests = listPortRequests(parse(text), () => undefined);
    expect(requests.map((request) => [request.key, request.want])).toEqual([
      ['web.0.http', { kind: 'auto' }],
      ['web.1.http', { kind: 'auto' }],
      ['web.0.admin', { kind: 'fixed', spec: { port: 9000 } }],
      ['web.1.admin', { kind: 'fixed', spec: { port: 9001 } }],
    ]);
  });

  it('stops before interpolating when an auto port has none yet, and says which it needs', () => {
    const loaded = loadStackText(TWO, FILE, new Map(), { providers: PROVIDERS });
    expect(loaded.needsPorts).toBe(true);
    expect(loaded.desired).toBeUndefined();
    expect(loaded.portsWanted.filter((request) => request.want.kind === 'auto').map((request) => request.key)).toEqual(['api.http', 'api.debug']);
  });

  it('interpolates ${ports.svc.name} everywhere and keeps the names beside the list of ports', () => {
    const loaded = loadWith(TWO, { 'api.http': 41234, 'api.debug': 7123 });
    expect(issueLines(loaded)).toEqual([]);
    const [api, worker] = loaded.desired?.services ?? [];
    expect(api?.namedPorts).toEqual({ http: 41234, admin: 9090, debug: 7123 });
    expect(api?.ports).toEqual([{ port: 41234, auto: true }, { port: 9090 }, { port: 7123, auto: true }]);
    expect(api?.ready?.check).toEqual({ kind: 'http', url: 'http://127.0.0.1:41234/' });
    expect(api?.provider === 'process' && api.process.argv).toEqual(['python3', '-m', 'http.server', '41234']);
    expect(worker?.provider === 'process' && worker.process.env).toMatchObject({ API_URL: 'http://127.0.0.1:41234', ADMIN: '9090' });
  });

  it('leaves the list form as it was', () => {
    const loaded = loadWith(yaml('version: 1', 'services:', '  db:', '    command: x', '    ports: [8080, "127.0.0.1:5432"]'), {});
    expect(loaded.desired?.services[0]?.ports).toEqual([{ port: 8080 }, { host: '127.0.0.1', port: 5432 }]);
    expect(loaded.desired?.services[0]?.namedPorts).toBeUndefined();
  });

  it('gives each replica its own port, and its own reading of ${ports.web.http}', () => {
    const text = yaml('version: 1', 'services:', '  web:', '    command: serve --port ${ports.web.http}', '    replicas: 2', '    ports: { http: auto }', '  lb:', '    command: lb ${ports.web.0.http} ${ports.web.1.http}');
    const loaded = loadWith(text, { 'web.0.http': 5001, 'web.1.http': 5002 });
    expect(issueLines(loaded)).toEqual([]);
    const argv = (loaded.desired?.services ?? []).map((service) => (service.provider === 'process' ? service.process.argv.join(' ') : ''));
    expect(argv).toEqual(['serve --port 5001', 'serve --port 5002', 'lb 5001 5002']);
    expect(loaded.desired?.services.map((service) => service.namedPorts)).toEqual([{ http: 5001 }, { http: 5002 }, undefined]);
  });

  it('reports an unknown ${ports.x.y} at its line and column', () => {
    const text = yaml('version: 1', 'services:', '  api:', '    command: x', '    ports: { http: auto }', '  worker:', '    command: y', '    env: { A: "${ports.api.https}", B: "${ports.nope.http}" }');
    const loaded = loadWith(text, { 'api.http': 41234 });
    expect(issueLines(loaded)).toEqual([
      '8:15 unknown port ${ports.api.https}: service api names only http',
      '8:40 unknown port ${ports.nope.http}: there is no service nope',
    ]);
  });

  it('asks to name a replica from outside a replicated service', () => {
    const text = yaml('version: 1', 'services:', '  web:', '    command: x', '    replicas: 2', '    ports: { http: auto }', '  lb:', '    command: lb ${ports.web.http}');
    const loaded = loadWith(text, { 'web.0.http': 5001, 'web.1.http': 5002 });
    expect(issueLines(loaded)).toEqual(['8:14 ${ports.web.http}: service web has replicas: name one, as in ${ports.web.0.http}']);
  });

  it('refuses a bad named port and a fixed port two services declare', () => {
    const text = yaml('version: 1', 'services:', '  a:', '    command: x', '    ports: { http: 8080, bad: "auto:9-1" }', '  b:', '    command: y', '    ports: { web: 8080 }');
    const lines = issueLines(loadWith(text, {}));
    expect(lines).toContain('5:26 expected a port (1-65535), "host:port", auto or "auto:low-high", got "auto:9-1"');
    expect(lines.some((line) => line.includes('port 8080 is declared by both "a"'))).toBe(true);
    const named = issueLines(loadWith(yaml('version: 1', 'services:', '  a:', '    command: x', '    ports: { "a.b": auto }'), {}));
    expect(named).toEqual(['5:14 port name "a.b" is not allowed: letters, digits, _ and -, starting with a letter or _']);
  });

  it('reads a reference from inside and outside a replicated service', () => {
    const replicated = (service: string): boolean => service === 'web';
    expect(referencedKey('web.http', { service: 'web', replica: 1 }, replicated)).toEqual({ key: 'web.1.http' });
    expect(referencedKey('web.1.http', { service: 'lb', replica: 0 }, replicated)).toEqual({ key: 'web.1.http' });
    expect(referencedKey('api.http', { service: 'lb', replica: 0 }, replicated)).toEqual({ key: 'api.http' });
    expect(referencedKey('api', { replica: 0 }, replicated)).toHaveProperty('error');
  });
});
