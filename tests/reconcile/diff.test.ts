import { describe, expect, it } from 'vitest';
import { changeReason, decideService, fieldChanges } from '../../src/reconcile/diff.js';
import type { ServiceDecision } from '../../src/reconcile/diff.js';
import { declarationDigests } from '../../src/reconcile/give-up.js';
import { appliedFrom, compose, observed, service } from './factory.js';

/** `op:symbol:restart` per action, stop phase then start phase. */
function ops(decision: ServiceDecision): string[] {
  return [...decision.stopPhase, ...decision.startPhase].map((a) => `${a.op}:${a.symbol}${a.restart ? ':r' : ''}`);
}

function reasons(decision: ServiceDecision): string[] {
  return [...new Set([...decision.stopPhase, ...decision.startPhase].map((a) => a.reason))];
}

const web = service('web', { env: { LOG_LEVEL: 'info' } });

describe('decideService: the action table', () => {
  it('disabled + absent → nothing', () => {
    const decision = decideService({ ...web, enabled: false }, observed('web', 'absent'), appliedFrom(web));
    expect(ops(decision)).toEqual([]);
    expect(decision.blocked).toBeUndefined();
  });

  it.each(['running', 'starting', 'stopping'] as const)('disabled + %s → stop, uninstall', (phase) => {
    const decision = decideService({ ...web, enabled: false }, observed('web', phase), appliedFrom(web));
    expect(ops(decision)).toEqual(['stop:-', 'uninstall:-']);
    expect(reasons(decision)).toEqual(['disabled in stack.yaml']);
  });

  it.each(['stopped', 'crashed'] as const)('disabled + %s → uninstall only', (phase) => {
    expect(ops(decideService({ ...web, enabled: false }, observed('web', phase), undefined))).toEqual(['uninstall:-']);
  });

  it('removed from the file + running → stop, uninstall', () => {
    const decision = decideService(undefined, observed('web', 'running'), appliedFrom(web));
    expect(ops(decision)).toEqual(['stop:-', 'uninstall:-']);
    expect(reasons(decision)).toEqual(['removed from stack.yaml']);
  });

  it('enabled, stopped + absent → install', () => {
    const decision = decideService({ ...web, state: 'stopped' }, observed('web', 'absent'), undefined);
    expect(ops(decision)).toEqual(['install:+']);
    expect(reasons(decision)).toEqual(['new service']);
  });

  it('enabled, running + absent → install, start', () => {
    const decision = decideService(web, observed('web', 'absent'), undefined);
    expect(ops(decision)).toEqual(['install:+', 'start:+']);
    expect(reasons(decision)).toEqual(['new service']);
  });

  it('says "not installed" when stack had applied it before', () => {
    expect(reasons(decideService(web, observed('web', 'absent'), appliedFrom(web)))).toEqual(['not installed']);
  });

  it('enabled, running + stopped → start', () => {
    const decision = decideService(web, observed('web', 'stopped'), appliedFrom(web));
    expect(ops(decision)).toEqual(['start:+']);
    expect(reasons(decision)).toEqual(['not running']);
  });

  it('enabled, running + crashed → start, with the exit in the reason', () => {
    const decision = decideService(web, observed('web', 'crashed', 'exit 3'), appliedFrom(web));
    expect(ops(decision)).toEqual(['start:+']);
    expect(reasons(decision)).toEqual(['crashed (exit 3)']);
  });

  it.each(['running', 'starting', 'stopping'] as const)('enabled, stopped + %s → stop', (phase) => {
    const decision = decideService({ ...web, state: 'stopped' }, observed('web', phase), appliedFrom(web));
    expect(ops(decision)).toEqual(['stop:-']);
    expect(reasons(decision)).toEqual(['state: stopped in stack.yaml']);
  });

  it.each(['stopped', 'crashed'] as const)('enabled, stopped + %s → nothing', (phase) => {
    expect(ops(decideService({ ...web, state: 'stopped' }, observed('web', phase), appliedFrom(web)))).toEqual([]);
  });

  it.each(['running', 'starting'] as const)('enabled, running + %s, spec unchanged → nothing', (phase) => {
    expect(ops(decideService(web, observed('web', phase), appliedFrom(web)))).toEqual([]);
  });

  it('enabled, running + running, spec changed → restart naming the changed fields', () => {
    const old = service('web', { env: { LOG_LEVEL: 'info' }, command: ['node', 'old.js'] });
    const now = service('web', { env: { LOG_LEVEL: 'debug' } });
    const changed = decideService(now, observed('web', 'running'), appliedFrom(old));
    expect(changed.restart).toBe(true);
    expect(ops(changed)).toEqual(['stop:~:r', 'start:~:r']);
    expect(reasons(changed)).toEqual(['spec changed: command, env.LOG_LEVEL']);
    expect(changed.stopPhase[0]?.changes).toEqual([
      { field: 'command', before: 'node old.js', after: 'node web.js', sensitive: false },
      { field: 'env.LOG_LEVEL', before: 'info', after: 'debug', sensitive: false },
    ]);
  });

  it('running with drift (what runs differs from what is declared) → a restart that shows the drift', () => {
    const drift = [{ field: 'swarm.web.replicas', before: '5', after: '2', sensitive: false }];
    const decision = decideService(web, { ...observed('web', 'running'), drift }, appliedFrom(web));
    expect(ops(decision)).toEqual(['stop:~:r', 'start:~:r']);
    expect(reasons(decision)).toEqual(['drift: swarm.web.replicas']);
    expect(decision.startPhase[0]?.changes).toEqual(drift);
  });

  it('a spec change lists the drift beside the changed fields; a stopped service ignores drift', () => {
    const drift = [{ field: 'swarm.web.env.API_TOKEN', sensitive: true }];
    const old = service('web', { env: { LOG_LEVEL: 'info' }, command: ['node', 'old.js'] });
    const changed = decideService(web, { ...observed('web', 'running'), drift }, appliedFrom(old));
    expect(changed.stopPhase[0]?.changes?.map((change) => change.field)).toEqual(['command', 'swarm.web.env.API_TOKEN']);
    expect(ops(decideService({ ...web, state: 'stopped' }, { ...observed('web', 'stopped'), drift }, appliedFrom(web)))).toEqual([]);
  });

  it('reinstalls between stop and start when install inputs changed', () => {
    const before = compose('lf');
    const after = compose('lf', { compose: { ...before.compose!, file: '/new/docker-compose.yml' } });
    const decision = decideService(after, observed('lf', 'running'), appliedFrom(before));
    expect(ops(decision)).toEqual(['stop:~:r', 'install:~:r', 'start:~:r']);
    expect(reasons(decision)).toEqual(['spec changed: compose.file']);
  });

  it('starts a stopped service whose spec changed, reinstalling if needed, saying why', () => {
    const before = compose('lf');
    const after = compose('lf', { compose: { ...before.compose!, file: '/new.yml' } });
    const decision = decideService(after, observed('lf', 'stopped'), appliedFrom(before));
    expect(ops(decision)).toEqual(['install:+', 'start:+']);
    expect(reasons(decision)).toEqual(['not running; spec changed: compose.file']);
  });

  it('marks sensitive changes without values', () => {
    const before = service('api', { env: { API_TOKEN: 'old-secret' } });
    const after = service('api', { env: { API_TOKEN: 'new-secret' } });
    const decision = decideService(after, observed('api', 'running'), appliedFrom(before));
    expect(reasons(decision)).toEqual(['spec changed: env.API_TOKEN (sensitive)']);
    expect(decision.startPhase[0]?.changes).toEqual([{ field: 'env.API_TOKEN', sensitive: true }]);
    expect(JSON.stringify(decision)).not.toMatch(/secret/);
  });

  it.each(['running', 'absent', 'stopped'] as const)('any desire + unknown → blocked (%s in file)', (state) => {
    const desired = state === 'absent' ? undefined : { ...web, state: state as 'running' | 'stopped' };
    const decision = decideService(desired, observed('web', 'unknown', 'docker is not running'), appliedFrom(web));
    expect(ops(decision)).toEqual([]);
    expect(decision.blocked).toEqual({ service: 'web', reason: 'docker is not running', kind: 'unknown' });
  });

  it('says why a service that gave up is left alone, in words that fit the count', () => {
    const reasonFor = (restarts: number) => decideService(web, observed('web', 'crashed', 'exit 1'), appliedFrom(web, { gaveUp: true, restarts })).blocked?.reason;
    expect(reasonFor(0)).toBe('not restarted (restart.maxRestarts is 0); run stack restart web');
    expect(reasonFor(1)).toBe('gave up after 1 restart; run stack restart web');
    expect(reasonFor(2)).toBe('gave up after 2 restarts; run stack restart web');
  });

  it('blocks a service that gave up, until its spec changes', () => {
    const gaveUp = appliedFrom(web, { gaveUp: true, restarts: 5 });
    const decision = decideService(web, observed('web', 'crashed', 'exit 1'), gaveUp);
    expect(ops(decision)).toEqual([]);
    expect(decision.blocked).toEqual({ service: 'web', reason: 'gave up after 5 restarts; run stack restart web', kind: 'gave-up' });
    const edited = service('web', { env: { LOG_LEVEL: 'debug' } });
    expect(ops(decideService(edited, observed('web', 'crashed', 'exit 1'), gaveUp))).toEqual(['start:+']);
  });

  it('a service that gave up gets a new chance from an edit of any part of it, `ready` and `restart` included', () => {
    const probe = { check: { kind: 'tcp' as const, host: '127.0.0.1', port: 4222 }, timeoutMs: 1000, intervalMs: 100, failureThreshold: 1 };
    const api = service('api', { ready: probe });
    const gaveUp = appliedFrom(api, { gaveUp: true, restarts: 9, gaveUpAfter: 5, gaveUpDeclared: declarationDigests(api) });
    const crashed = observed('api', 'crashed', 'start failed: tcp 127.0.0.1:4222: connection refused');
    // The real count: 5 in a row, not the 9 restarts of its whole life.
    expect(decideService(api, crashed, gaveUp).blocked?.reason).toBe('gave up after 5 restarts; run stack restart api');
    const ready = service('api', { ready: { ...probe, check: { ...probe.check, port: 4223 } } });
    const retried = decideService(ready, crashed, gaveUp);
    expect(ops(retried)).toEqual(['start:+']);
    expect(reasons(retried)).toEqual(['crashed (start failed: tcp 127.0.0.1:4222: connection refused); ready changed since it gave up']);
    const more = service('api', { ready: probe, restart: { ...api.restart, maxRestarts: 10 } });
    expect(reasons(decideService(more, crashed, gaveUp))).toEqual(['crashed (start failed: tcp 127.0.0.1:4222: connection refused); restart changed since it gave up']);
    // Where it is written in the file is not part of it: lines added above it change nothing.
    expect(decideService({ ...api, index: 3, position: { file: 'stack.yaml', line: 40, column: 3 } }, crashed, gaveUp).blocked?.kind).toBe('gave-up');
  });

  it('a ready edit alone still moves nothing for a service that did not give up', () => {
    const probe = { check: { kind: 'tcp' as const, host: '127.0.0.1', port: 4222 }, timeoutMs: 1000, intervalMs: 100, failureThreshold: 1 };
    const api = service('api', { ready: probe });
    const ready = service('api', { ready: { ...probe, timeoutMs: 5000 } });
    expect(ops(decideService(ready, observed('api', 'running'), appliedFrom(api)))).toEqual([]);
  });

  it('restarts a running service stack has no record of', () => {
    const decision = decideService(web, observed('web', 'running'), undefined);
    expect(ops(decision)).toEqual(['stop:~:r', 'start:~:r']);
    expect(reasons(decision)).toEqual(['not recorded in state']);
  });

  it('lets a stopping service finish, then starts it again', () => {
    const decision = decideService(web, observed('web', 'stopping'), appliedFrom(web));
    expect(ops(decision)).toEqual(['stop:~:r', 'start:~:r']);
    expect(reasons(decision)).toEqual(['was stopping']);
  });

  it('moves a service to a new provider through uninstall and install', () => {
    const now = compose('web');
    const decision = decideService(now, observed('web', 'running'), appliedFrom(web));
    expect(ops(decision)).toEqual(['stop:~:r', 'uninstall:~:r', 'install:~:r', 'start:~:r']);
    expect(reasons(decision)).toEqual(['provider changed: process → compose']);
  });
});

describe('fieldChanges and changeReason', () => {
  it('reports added and removed fields', () => {
    expect(fieldChanges({ a: '1', b: '2' }, { b: '2', c: '3' }, [])).toEqual([
      { field: 'a', before: '1', after: undefined, sensitive: false },
      { field: 'c', before: undefined, after: '3', sensitive: false },
    ]);
  });

  it('caps long field lists', () => {
    const changes = 'abcdefgh'.split('').map((field) => ({ field, sensitive: false }));
    expect(changeReason(changes)).toBe('spec changed: a, b, c, d, e, f and 2 more');
    expect(changeReason([])).toBe('spec changed');
  });
});
