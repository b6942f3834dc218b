import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { groupedIn, UsageSampler } from '../../src/engine/service-usage.js';
import { createProviderRegistry } from '../../src/providers/registry.js';
import type { AppliedService, ObservedService, Phase } from '../../src/model/observed.js';
import { readProcStatSync } from '../../src/os/proc-stat.js';
import { GroupTracker } from '../providers/helpers.js';
import { waitFor } from '../support/wait.js';

const groups = new GroupTracker();
afterEach(() => groups.killAll());

/** A real busy loop as its own group leader, recorded as a process service's run would be. */
function busyRun(): AppliedService {
  const child = spawn('sh', ['-c', 'while :; do :; done'], { detached: true, stdio: 'ignore' });
  const pid = child.pid as number;
  groups.track(pid);
  return { provider: 'process', specHash: 'h', installHash: 'i', fields: {}, restarts: 0, pid, pgid: pid, startTicks: readProcStatSync(pid)?.startTicks as number };
}

const observedAs = (phases: Record<string, Phase>): Map<string, ObservedService> => new Map(Object.entries(phases).map(([name, phase]) => [name, { name, phase }]));

describe('UsageSampler', () => {
  it('gives memory at once and cpu from the second reading of the same run; a new run starts over; other providers and stopped services are left out', async () => {
    const run = busyRun();
    const applied = new Map<string, AppliedService>([
      ['busy', run],
      ['web', { ...run, provider: 'compose' }],
      ['idle', { ...run, restarts: 1 }],
    ]);
    const observed = observedAs({ busy: 'running', web: 'running', idle: 'stopped' });
    // As the controller asks: the providers' own capabilities (process runs are groups stack spawned; compose's are not).
    const providers = createProviderRegistry();
    await Promise.all([providers.get('process'), providers.get('compose')]);
    const sampler = new UsageSampler(groupedIn(providers));
    const first = sampler.sample(applied, observed);
    expect([...first.keys()]).toEqual(['busy']);
    expect(first.get('busy')).toEqual({ cpu: null, memory: expect.any(Number), command: "sh -c 'while :; do :; done'" });
    expect(first.get('busy')?.memory).toBeGreaterThan(0);

    // The loop spins on a core while the test polls; enough ticks make the percent meaningful.
    const second = await waitFor(() => {
      const usage = sampler.sample(applied, observed).get('busy');
      return usage?.cpu ? usage : undefined;
    }, 5000, 'a cpu reading above 0');
    expect(second.cpu).toBeGreaterThan(0);

    // Another run under the same name (a restart): its first reading has no cpu again.
    const restarted = busyRun();
    expect(sampler.sample(new Map([['busy', restarted]]), observed).get('busy')?.cpu).toBeNull();
    // A run whose group is gone reads nothing.
    process.kill(-restarted.pid!, 'SIGKILL');
    await waitFor(() => (sampler.sample(new Map([['busy', restarted]]), observed).has('busy') ? undefined : true), 5000, 'the killed group to read nothing');
  });
});
