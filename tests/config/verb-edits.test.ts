import { diffLines } from 'diff';
import { describe, expect, it } from 'vitest';
import { applyVerbEdit } from '../../src/config/verb-edits.js';
import { load, yaml } from './helpers.js';

const STACK = yaml(
  '# yaml-language-server: $schema=./stack.schema.json',
  'version: 1',
  "project: 'devstack'   # quoted on purpose",
  '',
  'services:',
  '    # four-space indentation, kept',
  '    web:   # the front',
  '        command: node server.js',
  '        env: { LOG_LEVEL: "info" }',
  '',
  '        ports: [8080]',
  '    worker:',
  '        command: [node, worker.js]',
  '        state: "stopped"     # paused for now',
  '        enabled: true',
  '    cache: { command: redis-server,  ports: [6379] }',
  '    empty:',
  '        command: sleep 1',
  '        state:',
  '# trailing comment',
);

/** Only the lines that changed, as `-old` / `+new`. */
function changedLines(before: string, after: string): string[] {
  return diffLines(before, after).flatMap((part) => {
    if (!part.added && !part.removed) return [];
    return part.value.replace(/\n$/, '').split('\n').map((line) => `${part.added ? '+' : '-'}${line}`);
  });
}

describe('verbs edit stack.yaml in place', () => {
  it('stop inserts `state: stopped` with the service\'s indentation when there is no state key', () => {
    const { text, edited } = applyVerbEdit(STACK, 'stop', ['web']);
    expect(edited).toEqual(['web']);
    expect(text).toBe(STACK.replace('        ports: [8080]\n', '        ports: [8080]\n        state: stopped\n'));
    expect(changedLines(STACK, text)).toEqual(['+        state: stopped']);
  });

  it('start replaces an existing value in place, keeping its quotes and its comment', () => {
    const { text } = applyVerbEdit(STACK, 'start', ['worker']);
    expect(changedLines(STACK, text)).toEqual(['-        state: "stopped"     # paused for now', '+        state: "running"     # paused for now']);
  });

  it('disable and enable flip `enabled`, adding it to a flow map without respacing it', () => {
    const disabled = applyVerbEdit(STACK, 'disable', ['worker', 'cache']).text;
    expect(changedLines(STACK, disabled)).toEqual([
      '-        enabled: true',
      '-    cache: { command: redis-server,  ports: [6379] }',
      '+        enabled: false',
      '+    cache: { command: redis-server,  ports: [6379], enabled: false }',
    ]);
    const enabled = applyVerbEdit(disabled, 'enable', ['cache']).text;
    expect(changedLines(disabled, enabled)).toEqual(['-    cache: { command: redis-server,  ports: [6379], enabled: false }', '+    cache: { command: redis-server,  ports: [6379], enabled: true }']);
  });

  it('fills an empty value without gluing it to the colon', () => {
    const { text } = applyVerbEdit(STACK, 'stop', ['empty']);
    expect(changedLines(STACK, text)).toEqual(['-        state:', '+        state: stopped']);
  });

  it('leaves a service alone when it already says so, explicitly or by default', () => {
    const result = applyVerbEdit(STACK, 'start', ['web']);
    expect(result).toEqual({ text: STACK, edited: [], already: ['web'] });
    expect(applyVerbEdit(STACK, 'enable', ['web', 'worker']).already).toEqual(['web', 'worker']);
    expect(applyVerbEdit(STACK, 'stop', ['worker']).text).toBe(STACK);
  });

  it('every edit still loads, and loads to what the verb asked', () => {
    let text = STACK.replace('        state:\n', '');
    text = applyVerbEdit(text, 'stop', ['web', 'cache']).text;
    text = applyVerbEdit(text, 'disable', ['empty']).text;
    const desired = load(text).desired;
    expect(desired?.services.map((service) => `${service.name} ${service.enabled} ${service.state}`)).toEqual([
      'web true stopped',
      'worker true stopped',
      'cache true stopped',
      'empty false running',
    ]);
    expect(text.startsWith('# yaml-language-server')).toBe(true);
    expect(text).toContain("project: 'devstack'   # quoted on purpose\n\nservices:\n    # four-space indentation, kept\n");
    expect(text.endsWith('# trailing comment\n')).toBe(true);
  });

  it('refuses a service that is not declared', () => {
    expect(() => applyVerbEdit(STACK, 'stop', ['nope'])).toThrow(/no service named "nope"/);
  });

  it('refuses a file with a key twice, in a service or among the services, saying where', () => {
    const twiceInService = yaml('version: 1', 'services:', '  web:', '    command: x', '    state: running', '    state: stopped');
    expect(() => applyVerbEdit(twiceInService, 'stop', ['web'])).toThrow('stack.yaml cannot be edited: map keys must be unique at line 6, column 5');
    const twiceAService = yaml('version: 1', 'services:', '  web:', '    command: x', '  db:', '    command: y', '  web:', '    command: z');
    expect(() => applyVerbEdit(twiceAService, 'stop', ['db'])).toThrow(/map keys must be unique at line 7, column 3/);
  });

  it('stops several services of one stack in one text, each edited once', () => {
    const { text, edited, already } = applyVerbEdit(yaml('version: 1', 'services:', '  a:', '    command: x', '  b:', '    command: y', '    state: stopped', '  c:', '    command: z'), 'stop', ['a', 'b', 'c', 'a']);
    expect(edited).toEqual(['a', 'c']);
    expect(already).toEqual(['b']);
    expect(text).toBe(yaml('version: 1', 'services:', '  a:', '    command: x', '    state: stopped', '  b:', '    command: y', '    state: stopped', '  c:', '    command: z', '    state: stopped'));
  });
});
