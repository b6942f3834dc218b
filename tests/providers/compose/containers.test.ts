import { describe, expect, it } from 'vitest';
import { containersFromEngine, healthFromStatus, parsePsLines, projectStatus, type Container } from '../../../src/providers/compose/containers.js';

// Real `docker ps --format '{{json .}}'` lines (engine 20.10, compose v1 labels).
const RUNNING_HEALTHY =
  '{"Command":"\\"sh -c \'sleep 2; touch /tmp/ready; exec sleep 3600\'\\"","CreatedAt":"2026-11-23 17:32:23 +0000 UTC","ID":"8b39f799ed65","Image":"stack-test/busybox:latest","Labels":"com.docker.compose.config-hash=22e1,com.docker.compose.container-number=1,com.docker.compose.oneoff=False,com.docker.compose.project.config_files=a.yml,b.yml,com.docker.compose.project.working_dir=/tmp/ct,com.docker.compose.project=ct1,com.docker.compose.service=web,com.docker.compose.version=1.29.2","LocalVolumes":"0","Mounts":"","Names":"ct1_web_1","Networks":"ct1_default","Ports":"","RunningFor":"4 seconds ago","Size":"0B","State":"running","Status":"Up 4 seconds (healthy)"}';

function row(service: string, state: string, status: string, extra = ''): string {
  return JSON.stringify({ ID: `${service}-${state}`, Names: `p_${service}_1`, State: state, Status: status, Labels: `com.docker.compose.project=p,com.docker.compose.service=${service}${extra}` });
}

function container(service: string, state: string, overrides: Partial<Container> = {}): Container {
  return { id: service, name: service, service, state, health: 'none', oneOff: false, ...overrides };
}

const status = (containers: Container[], services: string[] = [], stoppedByUs = false, scale: Record<string, number> = {}) =>
  projectStatus({ containers, services, scale, stoppedByUs });

describe('parsePsLines', () => {
  it('reads service, state, health, image and command from a real line (labels with commas in values)', () => {
    expect(parsePsLines(`${RUNNING_HEALTHY}\n`)).toEqual([
      { id: '8b39f799ed65', name: 'ct1_web_1', service: 'web', state: 'running', health: 'healthy', oneOff: false, image: 'stack-test/busybox:latest', command: "sh -c 'sleep 2; touch /tmp/ready; exec sleep 3600'" },
    ]);
  });

  it('reads exit codes, one-off containers, and skips noise', () => {
    const text = [row('db', 'exited', 'Exited (137) 2 seconds ago'), 'WARNING: something', row('web', 'exited', 'Exited (0) 1 second ago', ',com.docker.compose.oneoff=True')].join('\n');
    const [db, web] = parsePsLines(text);
    expect(db).toMatchObject({ service: 'db', state: 'exited', exitCode: 137, oneOff: false });
    expect(web).toMatchObject({ service: 'web', exitCode: 0, oneOff: true });
  });

  it('falls back to the Status text when State is missing (older engines)', () => {
    const line = JSON.stringify({ ID: 'x', Names: 'n', Status: 'Up 3 minutes (health: starting)', Labels: 'com.docker.compose.service=web' });
    expect(parsePsLines(line)[0]).toMatchObject({ state: 'running', health: 'starting' });
  });
});

describe('containersFromEngine', () => {
  it('reads the engine API\'s rows as parsePsLines reads the same containers from `docker ps`', () => {
    const rows = [
      {
        Id: '8b39f799ed65',
        Names: ['/ct1_web_1'],
        Image: 'stack-test/busybox:latest',
        Command: "sh -c 'sleep 2; touch /tmp/ready; exec sleep 3600'",
        Labels: { 'com.docker.compose.project': 'ct1', 'com.docker.compose.project.config_files': 'a.yml,b.yml', 'com.docker.compose.service': 'web', 'com.docker.compose.oneoff': 'False' },
        State: 'running',
        Status: 'Up 4 seconds (healthy)',
      },
      { Id: 'db-exited', Names: ['/p_db_1'], Labels: { 'com.docker.compose.service': 'db' }, State: 'exited', Status: 'Exited (137) 2 seconds ago' },
      { Id: 'old', Names: ['/p_web_run_1'], Labels: { 'com.docker.compose.service': 'web', 'com.docker.compose.oneoff': 'True' }, Status: 'Up 3 minutes (health: starting)' },
      'not a container',
      { Names: ['/no-id'] },
    ];
    expect(containersFromEngine(rows)).toEqual([
      ...parsePsLines(`${RUNNING_HEALTHY}\n`),
      { id: 'db-exited', name: 'p_db_1', service: 'db', state: 'exited', health: 'none', oneOff: false, exitCode: 137 },
      { id: 'old', name: 'p_web_run_1', service: 'web', state: 'running', health: 'starting', oneOff: true },
    ]);
  });
});

describe('healthFromStatus', () => {
  it.each([
    ['Up 4 seconds (healthy)', 'healthy'],
    ['Up 2 seconds (health: starting)', 'starting'],
    ['Up 1 minute (unhealthy)', 'unhealthy'],
    ['Up 5 seconds', 'none'],
    ['Exited (0) 3 seconds ago', 'none'],
  ] as const)('%s → %s', (text, health) => {
    expect(healthFromStatus(text)).toBe(health);
  });
});

describe('projectStatus', () => {
  it('is absent with no containers, or only one-off ones', () => {
    expect(status([])).toEqual({ phase: 'absent', health: 'none' });
    expect(status([container('web', 'running', { oneOff: true })])).toMatchObject({ phase: 'absent' });
  });

  it('is running when every selected service runs; ready when healthchecked and healthy', () => {
    expect(status([container('web', 'running'), container('db', 'running', { health: 'healthy' })])).toEqual({ phase: 'running', health: 'ready' });
    expect(status([container('web', 'running')])).toEqual({ phase: 'running', health: 'none' });
  });

  it('is starting while a healthcheck is starting', () => {
    expect(status([container('web', 'running', { health: 'starting' })])).toMatchObject({ phase: 'starting', health: 'unready', detail: 'health starting: web' });
  });

  it('is running but unhealthy when a healthcheck fails', () => {
    expect(status([container('web', 'running', { health: 'unhealthy' })])).toMatchObject({ phase: 'running', health: 'unhealthy' });
  });

  it('is stopped when containers exist but not every selected one runs', () => {
    expect(status([container('web', 'created')])).toMatchObject({ phase: 'stopped' });
    expect(status([container('web', 'exited', { exitCode: 0 })])).toMatchObject({ phase: 'stopped' });
    expect(status([container('web', 'running')], ['web', 'db'])).toMatchObject({ phase: 'stopped', detail: 'not running: db' });
  });

  it('is crashed when a container exited non-zero or keeps restarting, unless stack stopped it', () => {
    expect(status([container('web', 'exited', { exitCode: 3 })])).toMatchObject({ phase: 'crashed', detail: 'web exited with code 3' });
    expect(status([container('web', 'restarting')])).toMatchObject({ phase: 'crashed', detail: 'web is restarting' });
    // `docker compose stop` SIGKILLs what ignores SIGTERM: exit 137 is then ours, not a crash.
    expect(status([container('web', 'exited', { exitCode: 137 })], [], true)).toMatchObject({ phase: 'stopped' });
  });

  it('looks only at the selected services and ignores services scaled to 0', () => {
    const containers = [container('web', 'running'), container('other', 'exited', { exitCode: 1 })];
    expect(status(containers, ['web'])).toMatchObject({ phase: 'running' });
    expect(status([container('web', 'running')], ['web', 'traefik'], false, { traefik: 0 })).toMatchObject({ phase: 'running' });
  });
});
