import { describe, expect, it } from 'vitest';
import { compareDesired } from '../../src/reconcile/compare-desired.js';
import { renderComparisonHuman, renderComparisonJson } from '../../src/reconcile/render-comparison.js';
import { renderComparisonMarkdown } from '../../src/reconcile/render-markdown.js';
import { service, stack } from './factory.js';

const before = stack([
  service('web', { command: ['node', 'web.js'], env: { LOG_LEVEL: 'info', API_TOKEN: 'first-token' } }),
  service('worker'),
  service('old'),
  service('report', { enabled: false }),
]);
const after = stack([
  service('web', { command: ['node', 'web.js', '--fast'], env: { LOG_LEVEL: 'debug', API_TOKEN: 'second-token' } }),
  service('worker', { state: 'stopped' }),
  service('report', { dependsOn: ['web'] }),
  service('cache', { command: ['redis-server'], process: { argv: ['redis-server'], shell: false, cwd: '/srv/cache', env: {}, envFiles: ['/srv/cache/.env'] } }),
]);

describe('comparing two desired states', () => {
  const comparison = compareDesired({ label: 'HEAD (abc1234)', desired: before }, { label: 'the working stack.yaml', desired: after });

  it('names what was added, removed, enabled, stopped and changed, in manifest order then removals', () => {
    expect(comparison.services.map((entry) => [entry.service, entry.change])).toEqual([
      ['web', 'changed'],
      ['worker', 'changed'],
      ['report', 'changed'],
      ['cache', 'added'],
      ['old', 'removed'],
    ]);
    expect(comparison.summary).toEqual({ added: 1, removed: 1, enabled: 1, disabled: 0, started: 0, stopped: 1, changed: 2 });
    const worker = comparison.services[1];
    expect(worker?.state).toEqual({ before: 'running', after: 'stopped' });
    expect(worker?.fields).toEqual([]);
  });

  it('gives field-level changes, secrets by name only, paths relative to the stack', () => {
    const web = comparison.services[0];
    expect(web?.fields).toEqual([
      { field: 'command', before: 'node web.js', after: 'node web.js --fast', sensitive: false },
      { field: 'env.API_TOKEN', sensitive: true },
      { field: 'env.LOG_LEVEL', before: 'info', after: 'debug', sensitive: false },
    ]);
    const cache = comparison.services[3];
    expect(cache?.fields.find((field) => field.field === 'cwd')?.after).toBe('./cache');
    expect(cache?.fields.find((field) => field.field === 'envFiles')?.after).toBe('["./cache/.env"]');
    expect(comparison.services[2]?.fields).toEqual([{ field: 'dependsOn', after: '["web"]', sensitive: false }]);
  });

  it('finds nothing between a stack and itself', () => {
    const same = compareDesired({ label: 'a', desired: after }, { label: 'b', desired: after });
    expect(same.services).toEqual([]);
    expect(renderComparisonHuman(same, { color: false })).toBe('a → b\nNo differences: both want the same services.\n');
    expect(renderComparisonMarkdown(same)).toContain('**No differences:**');
  });

  it('treats a missing file as an empty stack', () => {
    const fresh = compareDesired({ label: 'HEAD~1, without stack.yaml', desired: undefined }, { label: 'HEAD', desired: after });
    expect(fresh.services.map((entry) => entry.change)).toEqual(['added', 'added', 'added', 'added']);
    expect(fresh.services[1]?.state).toEqual({ after: 'stopped' });
  });

  it('renders for people, as JSON and as markdown, never with a secret', () => {
    const human = renderComparisonHuman(comparison, { color: false });
    expect(human).toContain('  ~ web     changed: command, env.API_TOKEN (sensitive), env.LOG_LEVEL\n');
    expect(human).toContain('  - worker  stopped (state: stopped)\n');
    expect(human).toContain('  ~ report  enabled; changed: dependsOn\n');
    expect(human).toContain('5 services differ: 1 added, 1 removed, 1 enabled, 1 stopped, 2 changed.\n');
    const json = JSON.parse(renderComparisonJson(comparison)) as { formatVersion: number; services: { service: string; fields: { field: string; before: string | null }[] }[] };
    expect(Object.keys(json)).toEqual(['formatVersion', 'before', 'after', 'project', 'services', 'summary']);
    expect(json.services[0]?.fields[1]).toEqual({ field: 'env.API_TOKEN', sensitive: true, before: null, after: null });
    const markdown = renderComparisonMarkdown(comparison);
    expect(markdown).toContain('| `~` | `web` | changed: command, env.API_TOKEN (sensitive), env.LOG_LEVEL |');
    expect(markdown).toContain('```diff\n- command: node web.js\n+ command: node web.js --fast\n  env.API_TOKEN: (sensitive, changed)\n- env.LOG_LEVEL: info\n+ env.LOG_LEVEL: debug\n```');
    for (const output of [human, JSON.stringify(json), markdown]) {
      expect(output).not.toContain('first-token');
      expect(output).not.toContain('second-token');
    }
  });
});
