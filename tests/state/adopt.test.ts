// When a read-only view may skip the scan of /proc for runs whose state write was lost.
import { describe, expect, it } from 'vitest';
import { readProcStatSync } from '../../src/providers/process/proc-stat.js';
import { mayMissRuns } from '../../src/state/adopt.js';
import type { AppliedService } from '../../src/reconcile/types.js';

const self = readProcStatSync(process.pid)!;
const base: AppliedService = { provider: 'process', specHash: 'h', installHash: 'i', fields: {}, restarts: 0 };
const live: AppliedService = { ...base, pid: process.pid, pgid: self.pgrp, startTicks: self.startTicks };

describe('mayMissRuns', () => {
  it('is false when every record holds a live run of ours and every expected service has one', () => {
    expect(mayMissRuns({ api: live, db: { ...base, provider: 'compose' } }, ['api'])).toBe(false);
  });

  it('is true when a service that should run has no record', () => {
    expect(mayMissRuns({ api: live }, ['api', 'worker'])).toBe(true);
  });

  it('is true when a process record holds no run, a gone one, or a recycled pid', () => {
    expect(mayMissRuns({ api: live, worker: base }, ['api'])).toBe(true);
    expect(mayMissRuns({ api: { ...live, pid: 2 ** 22 + 1 } }, ['api'])).toBe(true);
    expect(mayMissRuns({ api: { ...live, startTicks: self.startTicks + 1 } }, ['api'])).toBe(true);
  });
});
