import { describe, expect, it } from 'vitest';
import { groupPlaceOf, startLimits } from '../../src/providers/process/limits.js';
import type { LimitGroup, LimitMechanism } from '../../src/os/cgroups.js';
import type { DesiredService } from '../../src/model/desired.js';
import { load, yaml } from '../config/helpers.js';

const service = load(yaml('version: 1', 'services:', '  web:', '    command: node app.js', '    limits: { memory: 512MB, cpu: 1.5 }')).desired!.services[0] as DesiredService;
const plain = load(yaml('version: 1', 'services:', '  web:', '    command: node app.js')).desired!.services[0] as DesiredService;
const stateDir = '/home/ada/shop/.stack';

/** A cgroup mechanism that records what a start asks of it, with an OOM counter the test moves. */
function recording(): { mechanism: LimitMechanism; calls: string[]; kills: { count: number } } {
  const calls: string[] = [];
  const kills = { count: 3 };
  const group: LimitGroup = { dirs: ['/cg/web'], join: (pid) => calls.push(`join ${pid}`), oomKills: () => kills.count, remove: () => calls.push('remove') };
  const mechanism: LimitMechanism = {
    name: 'cgroup-v1',
    why: 'test',
    prepare: (place, limits) => (calls.push(`prepare ${place.project}/${place.service} ${JSON.stringify(limits)}`), group),
    dirsOf: () => [],
  };
  return { mechanism, calls, kills };
}

describe('a start with limits', () => {
  it('prepares the group before the spawn, joins the pid after it, and names an OOM kill at the end', () => {
    const { mechanism, calls, kills } = recording();
    const limits = startLimits(service, ['node', 'app.js'], stateDir, mechanism);
    expect(limits.argv).toEqual(['node', 'app.js']);
    expect(calls).toEqual([`prepare ${groupPlaceOf(stateDir, 'web').project}/web {"memoryBytes":512000000,"cpu":1.5}`]);
    limits.joined(4242);
    kills.count = 4;
    expect(limits.ended()).toBe('killed by the OOM killer (memory limit 512 MB)');
    expect(calls.slice(1)).toEqual(['join 4242', 'remove']);
  });

  it('says nothing of an end the OOM killer had no part in', () => {
    const { mechanism } = recording();
    const limits = startLimits(service, ['node', 'app.js'], stateDir, mechanism);
    limits.joined(4242);
    expect(limits.ended()).toBeUndefined();
  });

  it('wraps the command in systemd-run --scope where systemd keeps the limits', () => {
    const limits = startLimits(service, ['node', 'app.js'], stateDir, { name: 'systemd-run', why: 'test', user: true });
    expect(limits.argv.slice(0, 4)).toEqual(['systemd-run', '--user', '--scope', '--quiet']);
    expect(limits.argv).toContain('MemoryMax=512000000');
    expect(limits.argv).toContain('CPUQuota=150%');
    expect(limits.argv.slice(-3)).toEqual(['--', 'node', 'app.js']);
  });

  it('leaves the start alone under the watchdog, and without limits', () => {
    const { mechanism, calls } = recording();
    expect(startLimits(service, ['node', 'app.js'], stateDir, { name: 'watchdog', why: 'test' }).argv).toEqual(['node', 'app.js']);
    expect(startLimits(plain, ['node', 'app.js'], stateDir, mechanism).argv).toEqual(['node', 'app.js']);
    expect(calls).toEqual([]);
  });

  it('fails the start in words when the group cannot be made', () => {
    const failing: LimitMechanism = { name: 'cgroup-v1', why: 'test', prepare: () => { throw new Error('EACCES: permission denied'); }, dirsOf: () => [] };
    expect(() => startLimits(service, ['node'], stateDir, failing)).toThrow('web: cannot make the cgroup of its limits (cgroup-v1): EACCES: permission denied');
  });
});
