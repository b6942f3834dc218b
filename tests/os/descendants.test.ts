import { describe, expect, it } from 'vitest';
import { treeOutside } from '../../src/os/descendants.js';
import type { ProcStat } from '../../src/os/proc-stat.js';

const proc = (pid: number, ppid: number, pgrp: number, state = 'S'): ProcStat => ({ pid, comm: 'x', state, ppid, pgrp, session: pgrp, startTicks: pid });

describe('treeOutside', () => {
  it('finds what members of the group started outside it, and their children in any group', () => {
    const stats = [
      proc(1, 0, 1),
      proc(100, 1, 100), // the run's leader
      proc(101, 100, 100), // a member: stopped with the group, not listed
      proc(200, 100, 200), // setsid child of the leader: leads its own group
      proc(201, 200, 200), // its child, in its group
      proc(300, 101, 300), // setsid grandchild, through a member
      proc(301, 300, 999), // its child, moved to yet another group
      proc(400, 1, 400), // unrelated
      proc(500, 100, 500, 'Z'), // a zombie child: nothing to stop
    ];
    expect(treeOutside(stats, 100)).toEqual([
      { pid: 200, startTicks: 200, leads: true },
      { pid: 300, startTicks: 300, leads: true },
      { pid: 201, startTicks: 201, leads: false },
      { pid: 301, startTicks: 301, leads: false },
    ]);
  });

  it('finds nothing for a group whose members started nothing outside it', () => {
    expect(treeOutside([proc(1, 0, 1), proc(100, 1, 100), proc(101, 100, 100)], 100)).toEqual([]);
  });
});
