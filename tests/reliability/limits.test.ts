// `limits:` on real processes (issue 32): a service that allocates past its memory limit is
// restarted with the reason, through this machine's cgroup v1 controllers (the kernel's OOM
// killer) and through the controller's watchdog (forced with STACK_LIMITS=watchdog). No cgroup
// is left behind.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Cleanup, statusJson } from '../support/controller.js';
import { stack, waitFor } from '../support/stack-cli.js';
import { chooseMechanism } from '../../src/os/cgroups.js';
import { groupPath, removeGroupDirsSoon } from '../../src/os/cgroup-files.js';
import { ownV1Paths } from '../../src/os/cgroup-v1.js';
import { groupPlaceOf } from '../../src/providers/process/limits.js';

const cleanup = new Cleanup();
const selfCgroup = readFileSync('/proc/self/cgroup', 'utf8');
const v1 = ownV1Paths('/sys/fs/cgroup', selfCgroup);
const realV1 = chooseMechanism({ root: '/sys/fs/cgroup', selfCgroup, pid1: readFileSync('/proc/1/comm', 'utf8').trim(), systemdRun: false, uid: process.getuid?.() ?? -1, self: process.pid }).name === 'cgroup-v1';

/** This stack's cgroup folders under each v1 hierarchy (`stack/<hash>`), as a stack started here makes them. */
const projectDirs = (dir: string): string[] => (v1 ? Object.values(v1).map((base) => join(base, 'stack', groupPlaceOf(join(dir, '.stack'), 'x').project)) : []);
const stacksMade: string[] = [];

/** What is left of `dirs`: each folder under them that still exists, with the processes in it (their stat lines). */
function describeGroups(dirs: readonly string[]): string {
  const said: string[] = [];
  const visit = (dir: string): void => {
    if (!existsSync(dir)) return;
    const tasks = existsSync(join(dir, 'tasks')) ? readFileSync(join(dir, 'tasks'), 'utf8').split('\n').filter(Boolean) : [];
    const stats = tasks.map((pid) => (existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ').slice(0, 8).join(' ') : `${pid} gone`));
    said.push(`${dir} [${stats.join('; ') || 'no tasks'}]`);
    for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) visit(join(dir, entry.name));
  };
  try {
    for (const dir of dirs) visit(dir);
  } catch (error) {
    said.push(`(cannot read further: ${(error as Error).message})`);
  }
  return said.join(', ') || 'nothing';
}

afterEach(async () => {
  await cleanup.run();
  // Whatever a failed test left: empty once its processes are killed and reaped.
  const dirs = stacksMade.splice(0).flatMap(projectDirs).flatMap((project) => [join(project, 'hog'), project]);
  await removeGroupDirsSoon(dirs.filter((dir) => dir.endsWith('/hog')), 5000);
});

// Grows 8 MB every 100 ms up to 640 MB (a bound for the watchdog's second between readings).
const hog = (m: string) => `[node, -e, "const a = []; setInterval(() => { if (a.length < 80) a.push(Buffer.alloc(8e6, 1)) }, 100) // ${m}"]`;
const yaml = (m: string) =>
  `version: 1\nservices:\n  hog:\n    command: ${hog(m)}\n    limits: { memory: 150MB, pids: 50 }\n    start: { settle: 0ms }\n    restart: { policy: on-failure, maxRestarts: 1, backoff: { initial: 1s } }\n`;

interface ExitRecord {
  signal: string | null;
  reason?: string;
}

async function limitedExit(dir: string, file: string, pattern: RegExp): Promise<ExitRecord> {
  return waitFor(
    () => {
      const file = join(dir, '.stack', 'state.json');
      if (!existsSync(file)) return undefined;
      const record = (JSON.parse(readFileSync(file, 'utf8')) as { services: Record<string, { lastExit?: ExitRecord }> }).services.hog;
      return record?.lastExit?.reason !== undefined && pattern.test(record.lastExit.reason) ? record.lastExit : undefined;
    },
    30_000,
    `hog's exit with a reason matching ${pattern} (${file})`,
  );
}

describe('a service over its memory limit', () => {
  it.runIf(realV1)('is killed by the OOM killer in its cgroup v1 group and restarted with that reason; its groups go with its stop', async () => {
    const m = cleanup.marker(`limits-v1-${process.pid}-${Date.now()}`);
    const s = cleanup.scratch(yaml(m));
    stacksMade.push(s.dir);
    const watch = cleanup.cli(['watch', '--interval', '5s', '-f', s.file]);

    const exit = await limitedExit(s.dir, s.file, /^killed by the OOM killer/);
    expect(exit).toMatchObject({ signal: 'SIGKILL', reason: 'killed by the OOM killer (memory limit 150 MB)' });
    await watch.waitForStderr(/hog killed by the OOM killer \(memory limit 150 MB\)/, 10_000);
    await watch.waitForStderr(/hog restarting/, 10_000);
    const log = readFileSync(join(s.dir, '.stack', 'logs', 'hog.log'), 'utf8');
    expect(log).toContain('── hog killed by the OOM killer (memory limit 150 MB) ──');
    const row = statusJson(s.file).services.find((each) => each.name === 'hog');
    expect(row).toMatchObject({ limits: { memory: 150_000_000, pids: 50 }, mechanism: 'cgroup-v1' });
    expect(stack(['check', '-f', s.file]).stdout).toMatch(/hog: cgroup-v1: memory 150 MB, pids 50, by writable cgroup v1 controllers/);
    // Through the controller (the fast path): memory against the limit, and what keeps it.
    await waitFor(() => /^hog .* \d+ MB \/ 150 MB +cgroup-v1: memory 150 MB, pids 50 +node -e/m.test(stack(['status', '-o', 'wide', '-f', s.file]).stdout), 10_000, 'status -o wide with the limit');

    // The restarted run's group has the limit written (the last run's went with its exit), and goes with its stop.
    const memoryGroup = join(v1!.memory, groupPath(groupPlaceOf(join(s.dir, '.stack'), 'hog')));
    await waitFor(() => existsSync(join(memoryGroup, 'memory.limit_in_bytes')), 10_000, 'the restarted run\'s group');
    // The kernel keeps whole pages of it.
    expect(150_000_000 - Number(readFileSync(join(memoryGroup, 'memory.limit_in_bytes'), 'utf8'))).toBeLessThan(4096);
    watch.child.kill('SIGTERM');
    await watch.done;
    const down = stack(['down', '--yes', '-f', s.file]);
    expect(down.code, down.stderr).toBe(0);
    // A group goes once the kernel has let go of its last member (a busy machine takes a moment).
    await waitFor(() => projectDirs(s.dir).every((project) => !existsSync(project)), 10_000, 'its groups gone').catch((error: Error) => {
      // Seen once in a few full runs, never alone: say what held the groups, for the next look.
      throw new Error(`${error.message}; left: ${describeGroups(projectDirs(s.dir))}`);
    });
  }, 60_000);

  it.runIf(realV1)('leaves no group behind a run that died with no stack process its parent: down removes them', async () => {
    const m = cleanup.marker(`limits-unseen-${process.pid}-${Date.now()}`);
    const s = cleanup.scratch(`version: 1\nservices:\n  hog:\n    command: [sleep, "3600"] # ${m}\n    limits: { memory: 150MB, pids: 50 }\n    start: { settle: 0ms }\n`);
    stacksMade.push(s.dir);
    expect(stack(['apply', '--yes', '-f', s.file]).code).toBe(0);
    const pid = s.state().services.hog?.pid as number;
    expect(projectDirs(s.dir).some((project) => existsSync(join(project, 'hog')))).toBe(true);
    // Killed by someone else while no stack process runs: nothing stops it, so no stop removed its groups.
    process.kill(pid, 'SIGKILL');
    await waitFor(() => !existsSync(`/proc/${pid}`), 10_000, 'the run reaped');
    const down = stack(['down', '--yes', '-f', s.file]);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).toMatch(/Nothing is running/);
    expect(describeGroups(projectDirs(s.dir))).toBe('nothing');
  }, 60_000);

  it('is killed by the watchdog when cgroups are off (STACK_LIMITS=watchdog) and restarted with its reading', async () => {
    const m = cleanup.marker(`limits-wd-${process.pid}-${Date.now()}`);
    const s = cleanup.scratch(yaml(m));
    stacksMade.push(s.dir);
    const watch = cleanup.cli(['watch', '--interval', '5s', '-f', s.file], { env: { STACK_LIMITS: 'watchdog' } });

    const exit = await limitedExit(s.dir, s.file, /^memory limit/);
    expect(exit.signal).toBe('SIGKILL');
    const over = Number(/^memory limit 150 MB exceeded \((\d+) MB\)$/.exec(exit.reason ?? '')?.[1]);
    expect(over).toBeGreaterThan(150);
    await watch.waitForStderr(/hog memory limit 150 MB exceeded \(\d+ MB\)/, 10_000);
    await watch.waitForStderr(/hog restarting/, 10_000);
    expect(readFileSync(join(s.dir, '.stack', 'logs', 'hog.log'), 'utf8')).toMatch(/── hog memory limit 150 MB exceeded \(\d+ MB\) ──/);
    // Nothing in a cgroup: the watchdog made none.
    for (const project of projectDirs(s.dir)) expect(existsSync(project)).toBe(false);
    const check = stack(['check', '-f', s.file], { env: { STACK_LIMITS: 'watchdog' } });
    expect(check.stdout).toMatch(/hog: watchdog: memory 150 MB, pids 50 \(pids not enforced\), by STACK_LIMITS=watchdog/);
  }, 60_000);

  it('is killed by the watchdog of a controller that adopted it (started by apply), with its reason', async () => {
    const m = cleanup.marker(`limits-adopted-${process.pid}-${Date.now()}`);
    const s = cleanup.scratch(yaml(m));
    stacksMade.push(s.dir);
    const env = { STACK_LIMITS: 'watchdog' };
    expect(stack(['apply', '--yes', '-f', s.file], { env }).code).toBe(0);
    const adopted = s.state().services.hog?.pid;
    const watch = cleanup.cli(['watch', '--interval', '5s', '-f', s.file], { env });

    const exit = await limitedExit(s.dir, s.file, /^memory limit/);
    expect(exit).toMatchObject({ signal: 'SIGKILL', reason: expect.stringMatching(/^memory limit 150 MB exceeded \(\d+ MB\)$/) });
    await watch.waitForStderr(/hog memory limit 150 MB exceeded \(\d+ MB\)/, 10_000);
    // Restarted, now as the controller's own child.
    await waitFor(() => {
      const pid = s.state().services.hog?.pid;
      return pid !== undefined && pid !== adopted;
    }, 15_000, 'hog restarted');
  }, 60_000);
});
