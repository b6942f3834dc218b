import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ComposeSpec } from '../../../src/providers/compose/spec.js';
import {
  composeProjectName,
  containerLogsArgv,
  downArgv,
  execArgv,
  logsArgv,
  psArgv,
  scaleArgs,
  stopArgv,
  killArgv,
  upArgv,
  type ComposeCli,
} from '../../../src/providers/compose/argv.js';
import { execTarget } from '../../../src/providers/compose/exec.js';
import type { Container } from '../../../src/providers/compose/containers.js';

const v2: ComposeCli = { flavour: 'v2', base: ['docker', 'compose'], version: '2.29.1' };
const v1: ComposeCli = { flavour: 'v1', base: ['docker-compose'], version: '1.29.2' };

function spec(overrides: Partial<ComposeSpec> = {}): ComposeSpec {
  return { file: '/srv/dev/compose.yaml', project: 'dev-web', services: [], profiles: [], scale: {}, wait: false, env: {}, ...overrides };
}

describe('compose argv', () => {
  it('builds up -d with profiles, scale (sorted) and the selected services', () => {
    const full = spec({ services: ['web', 'db'], profiles: ['debug'], scale: { worker: 3, traefik: 0 }, wait: true });
    expect(upArgv(v2, full, { wait: true })).toEqual([
      'docker', 'compose', '-p', 'dev-web', '-f', '/srv/dev/compose.yaml', '--profile', 'debug',
      'up', '-d', '--wait', '--remove-orphans', '--scale', 'traefik=0', '--scale', 'worker=3', 'web', 'db',
    ]);
  });

  it('waits with --wait on v2 only; v1 is polled by the provider', () => {
    expect(upArgv(v1, spec(), { wait: true })).toEqual(['docker-compose', '-p', 'dev-web', '-f', '/srv/dev/compose.yaml', 'up', '-d', '--remove-orphans']);
    expect(upArgv(v2, spec(), { wait: false })).not.toContain('--wait');
  });

  it('installs with up --no-start, never waiting', () => {
    expect(upArgv(v2, spec({ services: ['web'] }), { noStart: true, wait: true })).toEqual([
      'docker', 'compose', '-p', 'dev-web', '-f', '/srv/dev/compose.yaml', 'up', '--no-start', '--remove-orphans', 'web',
    ]);
  });

  it('stops with the stop timeout rounded up to seconds', () => {
    expect(stopArgv(v1, spec({ services: ['web'] }), 1500)).toEqual(['docker-compose', '-p', 'dev-web', '-f', '/srv/dev/compose.yaml', 'stop', '-t', '2', 'web']);
    expect(stopArgv(v2, spec(), 0)).toEqual(['docker', 'compose', '-p', 'dev-web', '-f', '/srv/dev/compose.yaml', 'stop', '-t', '0']);
    // No timeout in stack.yaml: compose's own (each service's stop_grace_period).
    expect(stopArgv(v1, spec({ services: ['web'] }), undefined)).toEqual(['docker-compose', '-p', 'dev-web', '-f', '/srv/dev/compose.yaml', 'stop', 'web']);
  });

  it('kills with the signal named, the selected services only', () => {
    expect(killArgv(v2, spec({ services: ['web', 'db'] }), 'SIGHUP')).toEqual(['docker', 'compose', '-p', 'dev-web', '-f', '/srv/dev/compose.yaml', 'kill', '-s', 'SIGHUP', 'web', 'db']);
    expect(killArgv(v1, spec(), 'SIGUSR1')).toEqual(['docker-compose', '-p', 'dev-web', '-f', '/srv/dev/compose.yaml', 'kill', '-s', 'SIGUSR1']);
  });

  it('removes volumes on down only when asked', () => {
    expect(downArgv(v2, spec())).toEqual(['docker', 'compose', '-p', 'dev-web', '-f', '/srv/dev/compose.yaml', 'down', '--remove-orphans']);
    expect(downArgv(v2, spec(), { volumes: true }).slice(-3)).toEqual(['down', '--remove-orphans', '--volumes']);
  });

  it('builds logs with tail, follow and services', () => {
    expect(logsArgv(v1, spec({ services: ['web'] }), { follow: true, tail: 20 })).toEqual([
      'docker-compose', '-p', 'dev-web', '-f', '/srv/dev/compose.yaml', 'logs', '--no-color', '--tail', '20', '-f', 'web',
    ]);
  });

  it('reads one container\'s log through the engine: stamped, narrowed by time and count where asked', () => {
    expect(containerLogsArgv('c0ffee')).toEqual(['docker', 'logs', '--timestamps', 'c0ffee']);
    const since = '2026-01-02T03:04:05.000000000Z';
    const until = '2026-01-02T04:00:00.999999999Z';
    expect(containerLogsArgv('c0ffee', { follow: true, since, until, tail: 0 })).toEqual([
      'docker', 'logs', '--timestamps', '--follow', '--since', since, '--until', until, '--tail', '0', 'c0ffee',
    ]);
  });

  it('observes through the project label, the same for v1 and v2', () => {
    expect(psArgv('dev-web')).toEqual(['docker', 'ps', '-a', '--no-trunc', '--filter', 'label=com.docker.compose.project=dev-web', '--format', '{{json .}}']);
  });

  it('names projects the way compose does', () => {
    expect(composeProjectName('My.Stack_web-1')).toBe('mystack_web-1');
    expect(upArgv(v2, spec({ project: 'Dev.Web' }))[3]).toBe('devweb');
    expect(psArgv('Dev.Web')[5]).toBe('label=com.docker.compose.project=devweb');
  });

  it('gives the same argv for the same options, whatever order the scale map was written in', () => {
    const names = fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9]{0,6}$/), { maxLength: 5 });
    fc.assert(
      fc.property(names, fc.array(fc.nat(5), { minLength: 5, maxLength: 5 }), (keys, counts) => {
        const forward = Object.fromEntries(keys.map((key, index) => [key, counts[index] ?? 0]));
        const backward = Object.fromEntries([...keys].reverse().map((key) => [key, forward[key] as number]));
        expect(scaleArgs(backward)).toEqual(scaleArgs(forward));
        expect(upArgv(v2, spec({ scale: backward }))).toEqual(upArgv(v2, spec({ scale: forward })));
      }),
    );
  });
});

describe('stack exec in a compose service', () => {
  it('is `exec` in the project, with -T when stdin is no terminal, the command after the service as given', () => {
    expect(execArgv(v2, spec(), 'db', ['psql', '-U', 'me'], true)).toEqual(['docker', 'compose', '-p', 'dev-web', '-f', '/srv/dev/compose.yaml', 'exec', 'db', 'psql', '-U', 'me']);
    expect(execArgv(v1, spec({ profiles: ['x'] }), 'db', ['sh', '-c', 'echo $HOME'], false)).toEqual(['docker-compose', '-p', 'dev-web', '-f', '/srv/dev/compose.yaml', '--profile', 'x', 'exec', '-T', 'db', 'sh', '-c', 'echo $HOME']);
  });

  const container = (service: string, state = 'running', oneOff = false): Container => ({ id: service, name: service, service, state, health: 'none', oneOff });

  it('runs in the one selected compose service with a running container, or the one asked for', () => {
    expect(execTarget('web', { services: [] }, [container('db'), container('old', 'exited'), container('job', 'running', true)], undefined)).toBe('db');
    expect(execTarget('web', { services: ['api'] }, [container('db'), container('api')], undefined)).toBe('api');
    expect(execTarget('web', { services: [] }, [container('db'), container('api')], 'api')).toBe('api');
  });

  it('says what is missing: no running container, several to choose from, one asked for that does not run', () => {
    expect(() => execTarget('web', { services: [] }, [container('db', 'exited')], undefined)).toThrow('web is not running: stack exec runs the command in its container');
    expect(() => execTarget('web', { services: [] }, [container('db'), container('api')], undefined)).toThrow('web runs several compose services (api, db); say which one');
    expect(() => execTarget('web', { services: ['db'] }, [container('db'), container('api')], 'api')).toThrow('web: compose service "api" has no running container (running: db)');
  });
});
