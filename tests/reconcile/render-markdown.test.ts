import { describe, expect, it } from 'vitest';
import { planActions } from '../../src/reconcile/plan.js';
import { renderPlanMarkdown } from '../../src/reconcile/render-markdown.js';
import { appliedFrom, observedMap, service, stack } from './factory.js';

describe('plans as markdown', () => {
  it('has a summary line, a table with symbols and a diff block per changed service', () => {
    const old = service('api', { env: { MODE: 'a|b', NOTE: 'uses ```fences```' } });
    const desired = stack([service('api', { env: { MODE: 'c', NOTE: 'multi\nline' } }), service('web', { dependsOn: ['api'] })]);
    const plan = planActions(desired, observedMap({ api: 'running', web: 'absent' }), new Map([['api', appliedFrom(old)]]));
    const markdown = renderPlanMarkdown(plan);
    expect(markdown.split('\n').slice(0, 10)).toEqual([
      '### stack plan: `devstack`',
      '',
      '**Plan: 1 to install, 1 to start, 1 to restart.**',
      '',
      '| | service | action | reason |',
      '|:-:|---|---|---|',
      '| `~` | `api` | stop | spec changed: env.MODE, env.NOTE |',
      '| `~` | `api` | start | spec changed: env.MODE, env.NOTE |',
      '| `+` | `web` | install | new service |',
      '| `+` | `web` | start | new service |',
    ]);
    // A value holding ``` gets a longer fence, so the block cannot be closed early.
    expect(markdown).toContain('\n\n#### `api`\n\n````diff\n- env.MODE: a|b\n+ env.MODE: c\n- env.NOTE: uses ```fences```\n+ env.NOTE: multi\n+   line\n````\n');
  });

  it('says so when nothing is to be done, and escapes table cells', () => {
    const desired = stack([service('api')]);
    expect(renderPlanMarkdown(planActions(desired, observedMap({ api: 'running' }), new Map([['api', appliedFrom(desired.services[0] as never)]])))).toBe(
      '### stack plan: `devstack`\n\n**No changes.** 1 service matches stack.yaml.\n',
    );
    const blocked = planActions(desired, new Map([['api', { name: 'api', phase: 'unknown', detail: 'probe said <b>|</b>' }]]), new Map());
    expect(renderPlanMarkdown(blocked)).toContain('| `!` | `api` | unknown | probe said &lt;b&gt;\\|&lt;/b&gt; |');
  });
});
