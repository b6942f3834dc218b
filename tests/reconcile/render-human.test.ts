import { describe, expect, it } from 'vitest';
import { planActions } from '../../src/reconcile/plan.js';
import { renderPlanHuman, summaryLine } from '../../src/reconcile/render-human.js';
import { renderPlanJson } from '../../src/reconcile/render-json.js';
import { appliedFrom, appliedMap, observedMap, service, stack } from './factory.js';

const db = service('db');
const web = service('web', { dependsOn: ['db'], env: { LOG_LEVEL: 'info', API_TOKEN: 'hunter2-old' } });

describe('renderPlanHuman', () => {
  it('shows the named ports of this copy of the stack, and a kept port picked again', () => {
    const api = { ...service('api'), ports: [{ port: 41234 }, { port: 9090 }], namedPorts: { http: 41234, admin: 9090 } };
    const desired = { ...stack([api]), portNotes: ['port api.http 41000 is held by pid 7 (python3): picked another'] };
    const plan = planActions(desired, observedMap({ api: 'absent' }), new Map());
    expect(plan.ports).toEqual({ api: { http: 41234, admin: 9090 } });
    expect(renderPlanHuman(plan, { color: false })).toBe(
      [
        '  + api  install    new service',
        '  + api  start      new service',
        '',
        '  ports: api http 41234, admin 9090',
        '',
        'note: port api.http 41000 is held by pid 7 (python3): picked another',
        '',
        'Plan: 1 to install, 1 to start.',
        '',
      ].join('\n'),
    );
    expect(renderPlanJson(plan)).toContain('"ports": {\n    "api": {\n      "http": 41234,\n      "admin": 9090\n    }\n  },\n  "notes": [');
  });

  it('renders actions, field diffs and the summary', () => {
    const edited = service('web', { dependsOn: ['db'], env: { LOG_LEVEL: 'debug', API_TOKEN: 'hunter2-new' } });
    const plan = planActions(stack([db, edited]), observedMap({ db: 'stopped', web: 'running' }), appliedMap([db, web]));
    expect(renderPlanHuman(plan, { color: false })).toBe(
      [
        '  ~ web  stop       spec changed: env.API_TOKEN (sensitive), env.LOG_LEVEL',
        '    env.API_TOKEN: (sensitive)',
        '    env.LOG_LEVEL: "info" → "debug"',
        '  + db   start      not running',
        '  ~ web  start      spec changed: env.API_TOKEN (sensitive), env.LOG_LEVEL',
        '',
        'Plan: 1 to start, 1 to restart.',
        '',
      ].join('\n'),
    );
  });

  it('shows which words of a long value changed', () => {
    const long = ['node', 'server.js', '--port', '8080', '--workers', '4', '--log-format', 'json'];
    const before = service('api', { command: long });
    const after = service('api', { command: long.map((arg) => (arg === '4' ? '8' : arg)) });
    const plan = planActions(stack([after]), observedMap({ api: 'running' }), appliedMap([before]));
    const text = renderPlanHuman(plan, { color: false });
    expect(text).toContain('    command: node server.js --port 8080 --workers [-4-]{+8+} --log-format json');
  });

  it('shows line diffs for multi-line values', () => {
    const before = service('job', { env: { SCRIPT: 'echo one\necho two\necho three' } });
    const after = service('job', { env: { SCRIPT: 'echo one\necho 2\necho three' } });
    const plan = planActions(stack([after]), observedMap({ job: 'running' }), appliedMap([before]));
    const lines = renderPlanHuman(plan, { color: false }).split('\n');
    expect(lines.slice(1, 6)).toEqual([
      '    env.SCRIPT:',
      '        echo one',
      '      - echo two',
      '      + echo 2',
      '        echo three',
    ]);
  });

  it('marks pulled-in services and blocked ones', () => {
    const observed = observedMap({ db: 'stopped', web: 'stopped', cache: 'unknown' });
    observed.set('cache', { name: 'cache', phase: 'unknown', detail: 'docker daemon not reachable' });
    const plan = planActions(stack([db, web, service('cache')]), observed, appliedMap([db, web]), { targets: ['web', 'cache'] });
    expect(renderPlanHuman(plan, { color: false })).toBe(
      [
        '  + db     start      dependency of web: not running (pulled in by web)',
        '  + web    start      not running',
        '  ! cache  unknown: docker daemon not reachable',
        '',
        'Plan: 2 to start, 1 unknown.',
        '',
      ].join('\n'),
    );
  });

  it('says what a gave-up service needs', () => {
    const applied = new Map([['db', appliedFrom(db, { gaveUp: true, restarts: 5 })]]);
    const text = renderPlanHuman(planActions(stack([db]), observedMap({ db: 'crashed' }), applied), { color: false });
    expect(text).toBe('  ! db  gave up after 5 restarts; run stack restart db\n\nPlan: 1 gave up.\n');
  });

  it('reports an empty plan', () => {
    const plan = planActions(stack([db, web]), observedMap({ db: 'running', web: 'running' }), appliedMap([db, web]));
    expect(renderPlanHuman(plan, { color: false })).toBe('No changes. 2 services match stack.yaml.\n');
    const one = planActions(stack([db]), observedMap({ db: 'running' }), appliedMap([db]));
    expect(renderPlanHuman(one, { color: false })).toBe('No changes. 1 service matches stack.yaml.\n');
  });

  it('colours symbols only when asked', () => {
    const plan = planActions(stack([db]), observedMap({ db: 'absent' }), new Map());
    expect(renderPlanHuman(plan, { color: false })).not.toContain('\u001b[');
    const coloured = renderPlanHuman(plan, { color: true });
    expect(coloured).toContain('\u001b[32m+\u001b[39m');
  });

  it('never prints a sensitive value or its digest', () => {
    const secret = 'correct-horse-battery-staple';
    const before = service('api', { env: { DB_URL: 'postgres://u:old@db', STRIPE_KEY: 'sk_old' }, sensitive: ['DB_URL', 'STRIPE_KEY'] });
    const after = service('api', { env: { DB_URL: `postgres://u:${secret}@db`, STRIPE_KEY: secret }, sensitive: ['DB_URL', 'STRIPE_KEY'] });
    const applied = appliedMap([before]);
    for (const color of [false, true]) {
      const text = renderPlanHuman(planActions(stack([after]), observedMap({ api: 'running' }), applied), { color });
      expect(text).not.toContain(secret);
      expect(text).not.toContain('sk_old');
      expect(text).not.toContain('sha:');
      expect(text).toContain('env.STRIPE_KEY: ');
    }
  });
});

describe('summaryLine', () => {
  it('lists every non-zero part in a fixed order', () => {
    expect(summaryLine({ install: 1, start: 2, restart: 3, stop: 4, uninstall: 5, unknown: 6 })).toBe(
      'Plan: 1 to install, 2 to start, 3 to restart, 4 to stop, 5 to uninstall, 6 unknown.',
    );
    expect(summaryLine({ install: 0, start: 0, restart: 1, stop: 0, uninstall: 0, unknown: 0 })).toBe('Plan: 1 to restart.');
  });
});
