import { describe, expect, it } from 'vitest';
import { planActions } from '../../src/reconcile/plan.js';
import { planToJson, renderPlanJson } from '../../src/reconcile/render-json.js';
import { appliedMap, observedMap, service, stack } from './factory.js';

describe('renderPlanJson', () => {
  it('matches the version 1 contract exactly', () => {
    const before = service('bot', { env: { LOG_LEVEL: 'info' } });
    const after = service('bot', { env: { LOG_LEVEL: 'debug' } });
    const plan = planActions(stack([after]), observedMap({ bot: 'running' }), appliedMap([before]));
    expect(renderPlanJson(plan)).toBe(`{
  "formatVersion": 1,
  "project": "devstack",
  "actions": [
    {
      "service": "bot",
      "op": "stop",
      "reason": "spec changed: env.LOG_LEVEL"
    },
    {
      "service": "bot",
      "op": "start",
      "reason": "spec changed: env.LOG_LEVEL"
    }
  ],
  "summary": {
    "install": 0,
    "start": 0,
    "restart": 1,
    "stop": 0,
    "uninstall": 0,
    "unknown": 0
  },
  "blocked": []
}
`);
  });

  it('lists blocked services with their kind', () => {
    const observed = observedMap({ db: 'unknown', web: 'absent' });
    const plan = planActions(stack([service('db'), service('web')]), observed, new Map());
    expect(planToJson(plan)).toEqual({
      formatVersion: 1,
      project: 'devstack',
      actions: [
        { service: 'web', op: 'install', reason: 'new service' },
        { service: 'web', op: 'start', reason: 'new service' },
      ],
      summary: { install: 1, start: 1, restart: 0, stop: 0, uninstall: 0, unknown: 1 },
      blocked: [{ service: 'db', kind: 'unknown', reason: 'status could not be determined' }],
    });
  });

  it('keeps keys in contract order', () => {
    const plan = planActions(stack([service('a')]), observedMap({ a: 'absent' }), new Map());
    const json = planToJson(plan);
    expect(Object.keys(json)).toEqual(['formatVersion', 'project', 'actions', 'summary', 'blocked']);
    expect(Object.keys(json.summary)).toEqual(['install', 'start', 'restart', 'stop', 'uninstall', 'unknown']);
    expect(Object.keys(json.actions[0]!)).toEqual(['service', 'op', 'reason']);
  });

  it('renders a converged stack as empty actions', () => {
    const a = service('a');
    const text = renderPlanJson(planActions(stack([a]), observedMap({ a: 'running' }), appliedMap([a])));
    expect(JSON.parse(text).actions).toEqual([]);
    expect(text.endsWith('}\n')).toBe(true);
  });

  it('never contains a sensitive value', () => {
    const before = service('api', { env: { API_KEY: 'old-value-123' } });
    const after = service('api', { env: { API_KEY: 'new-value-456' } });
    const text = renderPlanJson(planActions(stack([after]), observedMap({ api: 'running' }), appliedMap([before])));
    expect(text).not.toMatch(/value-\d/);
    expect(text).toContain('env.API_KEY (sensitive)');
  });
});
