import { describe, expect, it } from 'vitest';
import { parseServiceRows, parseTaskRows, stackStatus } from '../../../src/providers/swarm/status.js';
import { parseServiceLogLine } from '../../../src/providers/swarm/logs.js';
import { updateStates } from '../../../src/providers/swarm/wait.js';
import type { InspectedService } from '../../../src/providers/swarm/fields.js';

const row = (name: string, replicas: string) => JSON.stringify({ ID: `id-${name}`, Name: `shop_${name}`, Mode: 'replicated', Replicas: replicas });
const task = (name: string, current: string, error = '') => JSON.stringify({ ID: `t-${name}`, Name: `shop_${name}.1`, DesiredState: 'Running', CurrentState: current, Error: error ? `"${error}"` : '' });

describe('what a swarm stack is now', () => {
  it('absent without services; stopped when all are scaled to 0; running at their replicas', () => {
    expect(stackStatus([])).toEqual({ phase: 'absent', health: 'none' });
    expect(stackStatus(parseServiceRows('shop', `${row('web', '0/0')}\n${row('api', '0/0')}`)).phase).toBe('stopped');
    expect(stackStatus(parseServiceRows('shop', `${row('web', '2/2')}\n${row('api', '1/1')}`)).phase).toBe('running');
  });

  it('starting while short of replicas; crashed when the short service’s tasks fail, with their error', () => {
    const services = parseServiceRows('shop', `${row('web', '1/2')}\nWARNING: not a row`);
    expect(services).toEqual([{ id: 'id-web', name: 'web', running: 1, desired: 2, global: false }]);
    expect(stackStatus(services, parseTaskRows('shop', task('web', 'Starting 1 second ago')))).toEqual({ phase: 'starting', health: 'unready', detail: 'starting: web 1/2' });
    const failing = parseTaskRows('shop', task('web', 'Failed 2 seconds ago', 'task: non-zero exit (3)'));
    expect(stackStatus(services, failing)).toEqual({ phase: 'crashed', health: 'none', detail: 'web: task: non-zero exit (3)' });
  });

  it('a global service cannot be scaled to 0: stopped names it as still running', () => {
    const agent = JSON.stringify({ ID: 'id-agent', Name: 'shop_agent', Mode: 'global', Replicas: '1/1' });
    expect(stackStatus(parseServiceRows('shop', `${row('web', '0/0')}\n${agent}`))).toEqual({ phase: 'stopped', health: 'none', detail: 'global services keep running: agent' });
    expect(stackStatus(parseServiceRows('shop', agent)).phase).toBe('running');
  });

  it('reads the update status of each service', () => {
    const service = (name: string, state?: string): InspectedService => ({
      ID: name,
      Spec: { Name: `shop_${name}`, TaskTemplate: { ContainerSpec: {} }, Mode: { Replicated: { Replicas: 1 } } },
      ...(state ? { UpdateStatus: { State: state, Message: `${state} message` } } : {}),
    });
    expect(updateStates('shop', [service('a'), service('b', 'updating'), service('c', 'rollback_completed'), service('d', 'completed')])).toEqual({
      updating: ['b'],
      failed: [{ service: 'c', state: 'rollback completed', message: 'rollback_completed message' }],
    });
  });

  it('reads `docker service logs --timestamps` lines, naming the task when several run', () => {
    const raw = '2026-12-05T15:01:43.567062192Z shop_web.2@vm    | hello there';
    expect(parseServiceLogLine('shop', raw, 'stdout', true)).toEqual({ stamp: '2026-12-05T15:01:43.567062192Z', line: { text: 'web.2 | hello there', stream: 'stdout', at: '2026-12-05T15:01:43.567062Z' } });
    expect(parseServiceLogLine('shop', raw, 'stderr', false)?.line).toMatchObject({ text: 'hello there', stream: 'stderr' });
    expect(parseServiceLogLine('shop', 'Error response from daemon', 'stderr', false)).toBeUndefined();
  });
});
