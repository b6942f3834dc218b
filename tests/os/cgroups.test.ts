import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { chooseMechanism, groupDirsOf, type MachineView } from '../../src/os/cgroups.js';
import { groupPath } from '../../src/os/cgroup-files.js';
import { cgroupV1, ownV1Paths, v1Writes } from '../../src/os/cgroup-v1.js';
import { cgroupV2, v2Writes } from '../../src/os/cgroup-v2.js';
import { scopeArgv } from '../../src/os/systemd-scope.js';
import { waitFor } from '../support/wait.js';

const place = { project: '3f9a0c5e12ab', service: 'web' };
const hash = groupPath(place).split('/')[1] as string;
const limits = { memoryBytes: 512_000_000, cpu: 1.5, pids: 200 };

const temps: string[] = [];
afterEach(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fake cgroup root: the folders and files detection looks at. */
function fakeRoot(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'stack-cgroup-'));
  temps.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const view = (root: string, more: Partial<MachineView> = {}): MachineView => ({ root, selfCgroup: '0::/', pid1: 'tini', systemdRun: false, uid: 0, self: 4242, ...more });

describe('choosing a mechanism', () => {
  it('takes a v2 subtree that offers memory, cpu and pids and holds only stack, without writing anything to decide', () => {
    const root = fakeRoot({ 'cgroup.controllers': 'cpu memory pids\n', 'user.slice/app/cgroup.controllers': 'cpuset cpu io memory pids\n', 'user.slice/app/cgroup.subtree_control': '', 'user.slice/app/cgroup.procs': '4242\n' });
    const chosen = chooseMechanism(view(root, { selfCgroup: '0::/user.slice/app\n', pid1: 'systemd', systemdRun: true }));
    expect(chosen.name).toBe('cgroup-v2');
    expect(readFileSync(join(root, 'user.slice/app/cgroup.subtree_control'), 'utf8')).toBe('');
    // Another process in the folder (the user's shell): the kernel would refuse to hand controllers down.
    writeFileSync(join(root, 'user.slice/app/cgroup.procs'), '4242\n977\n');
    expect(chooseMechanism(view(root, { selfCgroup: '0::/user.slice/app\n', pid1: 'systemd', systemdRun: true })).name).toBe('systemd-run');
  });

  it('passes over a v2 folder without the controllers (a hybrid machine\'s unified/) to systemd-run where systemd is PID 1', () => {
    const root = fakeRoot({ 'unified/cgroup.controllers': '\n', 'unified/cgroup.subtree_control': '' });
    expect(chooseMechanism(view(root, { pid1: 'systemd', systemdRun: true, uid: 1000 }))).toMatchObject({ name: 'systemd-run', user: true });
    expect(chooseMechanism(view(root, { pid1: 'systemd', systemdRun: false })).name).toBe('watchdog');
  });

  it('takes writable v1 controllers under stack\'s own cgroup of each', () => {
    const root = fakeRoot({ 'memory/jobs/7/cgroup.procs': '', 'cpu/cgroup.procs': '', 'pids/cgroup.procs': '' });
    const selfCgroup = '8:pids:/\n4:memory:/jobs/7\n1:cpu,cpuacct:/\n0::/\n';
    expect(ownV1Paths(root, selfCgroup)).toEqual({ memory: join(root, 'memory/jobs/7'), cpu: join(root, 'cpu'), pids: join(root, 'pids') });
    expect(chooseMechanism(view(root, { selfCgroup })).name).toBe('cgroup-v1');
    expect(chooseMechanism(view(root, { selfCgroup: '4:memory:/jobs/7\n' })).name).toBe('watchdog');
  });

  it('finds a v1 controller mounted with its companions when no link names it alone', () => {
    const root = fakeRoot({ 'memory/cgroup.procs': '', 'cpu,cpuacct/cgroup.procs': '', 'pids/cgroup.procs': '' });
    expect(ownV1Paths(root, '3:memory:/\n2:cpu,cpuacct:/\n1:pids:/\n')?.cpu).toBe(join(root, 'cpu,cpuacct'));
  });

  it('is the watchdog when STACK_LIMITS=watchdog, whatever the machine offers', () => {
    const root = fakeRoot({ 'memory/cgroup.procs': '', 'cpu/cgroup.procs': '', 'pids/cgroup.procs': '' });
    expect(chooseMechanism(view(root, { selfCgroup: '3:memory:/\n2:cpu:/\n1:pids:/\n', forced: 'watchdog' }))).toEqual({ name: 'watchdog', why: 'STACK_LIMITS=watchdog' });
  });
});

describe('what each mechanism writes', () => {
  it('cgroup v2: controllers handed down each level, then memory.max (no swap), cpu.max and pids.max', () => {
    const base = '/sys/fs/cgroup/user.slice/app';
    const group = `${base}/stack/${hash}/web`;
    expect(v2Writes(base, place, limits, () => true)).toEqual([
      { dir: base, file: 'cgroup.subtree_control', value: '+memory +cpu +pids' },
      { dir: `${base}/stack`, file: 'cgroup.subtree_control', value: '+memory +cpu +pids' },
      { dir: `${base}/stack/${hash}`, file: 'cgroup.subtree_control', value: '+memory +cpu +pids' },
      { dir: group, file: 'memory.max', value: '512000000' },
      { dir: group, file: 'memory.swap.max', value: '0' },
      { dir: group, file: 'cpu.max', value: '150000 100000' },
      { dir: group, file: 'pids.max', value: '200' },
    ]);
  });

  it('cgroup v2 on a fake root: stack moved into its leaf, the files written, the OOM kills read from memory.events', () => {
    const root = fakeRoot({ 'app/cgroup.subtree_control': '', 'app/cgroup.procs': '4242\n' });
    const group = cgroupV2(join(root, 'app'), 4242).prepare(place, { memoryBytes: 64 * 1024 ** 2 });
    expect(readFileSync(join(root, 'app/stack-self/cgroup.procs'), 'utf8')).toBe('4242');
    expect(readFileSync(join(root, 'app/cgroup.subtree_control'), 'utf8')).toBe('+memory +cpu +pids');
    const dir = join(root, 'app/stack', hash, 'web');
    expect(group.dirs).toEqual([dir]);
    expect(readFileSync(join(dir, 'memory.max'), 'utf8')).toBe(String(64 * 1024 ** 2));
    expect(existsSync(join(dir, 'cpu.max'))).toBe(false);
    expect(group.oomKills()).toBeUndefined();
    writeFileSync(join(dir, 'memory.events'), 'low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\n');
    expect(group.oomKills()).toBe(1);
  });

  it('cgroup v1: memsw lifted, the limit, memsw lowered; the CFS quota; pids.max', () => {
    const base = { memory: '/m', cpu: '/c', pids: '/p' };
    const at = (root: string) => `${root}/stack/${hash}/web`;
    expect(v1Writes(base, place, limits, () => true)).toEqual([
      { dir: at('/m'), file: 'memory.memsw.limit_in_bytes', value: '-1' },
      { dir: at('/m'), file: 'memory.limit_in_bytes', value: '512000000' },
      { dir: at('/m'), file: 'memory.memsw.limit_in_bytes', value: '512000000' },
      { dir: at('/c'), file: 'cpu.cfs_period_us', value: '100000' },
      { dir: at('/c'), file: 'cpu.cfs_quota_us', value: '150000' },
      { dir: at('/p'), file: 'pids.max', value: '200' },
    ]);
    expect(v1Writes(base, place, { memoryBytes: 1 << 30 }, () => false)).toEqual([{ dir: at('/m'), file: 'memory.limit_in_bytes', value: String(1 << 30) }]);
  });

  it('systemd-run: a scope with MemoryMax, CPUQuota and TasksMax, --user for a stack that is not root', () => {
    expect(scopeArgv(['node', 'app.js'], place, limits, { user: true, run: 'k3x' })).toEqual([
      'systemd-run', '--user', '--scope', '--quiet', '--collect', `--unit=stack-${hash}-web-k3x`,
      '-p', 'MemoryMax=512000000', '-p', 'MemorySwapMax=0', '-p', 'CPUQuota=150%', '-p', 'TasksMax=200',
      '--', 'node', 'app.js',
    ]);
    expect(scopeArgv(['x'], { ...place, service: 'web.0' }, { pids: 5 }, { user: false, run: '1' })).toEqual(['systemd-run', '--scope', '--quiet', '--collect', `--unit=stack-${hash}-web.0-1`, '-p', 'TasksMax=5', '--', 'x']);
  });
});

// This machine's own cgroup v1 controllers, when they are writable (root): the real kernel.
const selfCgroup = readFileSync('/proc/self/cgroup', 'utf8');
const v1 = ownV1Paths('/sys/fs/cgroup', selfCgroup);
const realV1 = v1 !== undefined && chooseMechanism(view('/sys/fs/cgroup', { selfCgroup })).name === 'cgroup-v1';

describe.runIf(realV1)('cgroup v1 on this machine', () => {
  it('makes the group, puts a run and what it forked in, and removes the group once it is empty', async () => {
    const real = { project: `t${process.pid}${Date.now()}`.slice(0, 12), service: 'sleeper' };
    const group = cgroupV1(v1!).prepare(real, { memoryBytes: 64 * 1024 ** 2, cpu: 0.5, pids: 50 });
    try {
      expect(group.dirs).toHaveLength(3);
      expect(readFileSync(join(group.dirs[0]!, 'memory.limit_in_bytes'), 'utf8').trim()).toBe(String(64 * 1024 ** 2));
      const child = spawn('sh', ['-c', 'sleep 30 & sleep 30; wait'], { detached: true, stdio: 'ignore' });
      // Both sleeps forked before the join: they follow their parent in.
      const forked = await waitFor(() => {
        const children = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(' ').filter(Boolean);
        return children.length === 2 ? children : undefined;
      });
      group.join(child.pid!);
      for (const dir of group.dirs) expect(readFileSync(join(dir, 'cgroup.procs'), 'utf8').trim().split('\n').sort()).toEqual([String(child.pid), ...forked].sort());
      expect(groupDirsOf(child.pid!, real).sort()).toEqual([...group.dirs].sort());
      expect(group.oomKills()).toBe(0);
      group.remove();
      expect(existsSync(group.dirs[0]!)).toBe(true);
      process.kill(-child.pid!, 'SIGKILL');
      await waitFor(() => readFileSync(join(group.dirs[0]!, 'cgroup.procs'), 'utf8').trim() === '');
    } finally {
      group.remove();
    }
    for (const dir of group.dirs) expect(existsSync(dir)).toBe(false);
    expect(existsSync(join(v1!.memory, 'stack', groupPath(real).split('/')[1]!))).toBe(false);
  });
});
