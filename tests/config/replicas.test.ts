import { describe, expect, it } from 'vitest';
import { expandReplicaNames } from '../../src/config/replicas.js';
import type { DesiredService } from '../../src/model/desired.js';
import { issueLines, load, yaml } from './helpers.js';

function services(text: string): DesiredService[] {
  const loaded = load(text);
  expect(issueLines(loaded)).toEqual([]);
  return loaded.desired?.services ?? [];
}

describe('replicas', () => {
  it('runs a service as N services, each with STACK_REPLICA, ${replica} and ports of its own', () => {
    const all = services(
      yaml(
        'version: 1',
        'services:',
        '  db: { command: db }',
        '  web:',
        '    command: node server.js --id w${replica}',
        '    replicas: 3',
        '    dependsOn: [db]',
        '    env: { PORT: "90${replica}0" }',
        '    ports: [8080, "127.0.0.1:7000", "90${replica}0"]',
        '    ready: { tcp: "90${replica}0" }',
        '  proxy: { command: proxy, dependsOn: [web] }',
      ),
    );
    expect(all.map((service) => [service.name, service.index, service.replicaOf, service.replica])).toEqual([
      ['db', 0, undefined, undefined],
      ['web.0', 1, 'web', 0],
      ['web.1', 2, 'web', 1],
      ['web.2', 3, 'web', 2],
      ['proxy', 4, undefined, undefined],
    ]);
    const web1 = all[2] as DesiredService;
    expect(web1.process?.argv).toEqual(['node', 'server.js', '--id', 'w1']);
    expect(web1.process?.env).toEqual({ PORT: '9010', STACK_REPLICA: '1' });
    expect(web1.ports).toEqual([{ port: 8081 }, { host: '127.0.0.1', port: 7001 }, { port: 9010 }]);
    expect(web1.ready?.check).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 9010 });
    expect(web1.dependsOn).toEqual(['db']);
    expect(all[4]?.dependsOn).toEqual(['web.0', 'web.1', 'web.2']);
    expect(web1.position).toEqual({ file: 'stack.yaml', line: 4, column: 3 });
  });

  it('knows ${replica} only in a replicated service, and $${replica} stays for the program', () => {
    expect(issueLines(load(yaml('version: 1', 'services:', '  web: { command: "serve ${replica}" }')))).toEqual([
      '3:19 ${replica} is known only in a service that sets replicas',
    ]);
    const [web] = services(yaml('version: 1', 'services:', '  web: { command: [sh, -c, "echo $${replica}"] }'));
    expect(web?.process?.argv).toEqual(['sh', '-c', 'echo ${replica}']);
  });

  it('refuses replicas: 0, a port moved past 65535, and replicas on a compose service', () => {
    const lines = issueLines(
      load(
        yaml(
          'version: 1',
          'services:',
          '  a: { command: a, replicas: 0 }',
          '  b: { command: b, replicas: 2, ports: [65535] }',
          '  c: { compose: { file: compose.yaml }, replicas: 2 }',
        ),
      ),
    );
    expect(lines).toEqual([
      '3:20 replicas: 0 would run nothing: write state: stopped to stop the service',
      '4:41 port 65535 of 2 replicas goes past 65535 (each replica\'s port is one more)',
      '5:41 "replicas" only applies to process services, and this one is a compose service',
    ]);
    expect(load(yaml('version: 1', 'services:', '  c: { compose: { file: compose.yaml }, replicas: 2 }')).issues[0]?.hint).toMatch(/compose\.scale/);
  });

  it('refuses a replica port another service declares', () => {
    const text = yaml('version: 1', 'services:', '  web: { command: w, replicas: 3, ports: [8080] }', '  api: { command: a, ports: [8082] }');
    expect(issueLines(load(text))).toEqual(['3:43 port 8082 of replica web.2 is declared by api too']);
  });

  it('means every replica by the service name', () => {
    const all = services(yaml('version: 1', 'services:', '  web: { command: w, replicas: 2 }', '  db: { command: d }'));
    expect(expandReplicaNames([...all.map((service) => service.name), 'web.2'], ['db', 'web', 'web.1', 'nope'])).toEqual(['db', 'web.0', 'web.1', 'web.2', 'nope']);
  });
});
