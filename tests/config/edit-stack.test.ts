import { describe, expect, it } from 'vitest';
import { addServiceText, removeServiceText, setServiceKeyText, setServiceValueText } from '../../src/config/edit-stack.js';
import { yaml } from './helpers.js';

const STACK = yaml(
  '# my stack',
  'version: 1',
  'services:',
  '  web:   # the front',
  '    command: node server.js --a-very-long-option-that-goes-on-and-on-beyond-eighty-columns-for-sure',
  '    env: {A: "1"}',
  '',
  '  db:',
  '    command: [postgres]   # pinned',
  '    ready:',
  '      tcp: 5432',
  '# the end',
);

describe('editing stack.yaml', () => {
  it('appends a service after the last one, every other byte kept', () => {
    const edited = addServiceText(STACK, 'mem', { provider: 'plugin', plugin: { path: './plugins/mem', ref: 'abc' } });
    expect(edited).toBe(STACK.replace('      tcp: 5432\n', '      tcp: 5432\n  mem:\n    provider: plugin\n    plugin:\n      path: ./plugins/mem\n      ref: abc\n'));
  });

  it('sets an existing key in place and adds a missing one at the end of the service', () => {
    const disabled = setServiceKeyText(STACK, 'web', 'enabled', false);
    expect(disabled).toBe(STACK.replace('    env: {A: "1"}\n', '    env: {A: "1"}\n    enabled: false\n'));
    expect(setServiceKeyText(disabled, 'web', 'enabled', true)).toBe(STACK.replace('    env: {A: "1"}\n', '    env: {A: "1"}\n    enabled: true\n'));
  });

  it('adds a key to a flow map in place, its spacing kept', () => {
    const edited = setServiceKeyText(yaml('# c', 'version: 1', 'services:', '  web: { command: x }'), 'web', 'enabled', false);
    expect(edited).toBe(yaml('# c', 'version: 1', 'services:', '  web: { command: x, enabled: false }'));
  });

  it('falls back to the Document API for an empty flow map, keeping comments', () => {
    const edited = setServiceKeyText(yaml('# c', 'version: 1', 'services:', '  web: {}'), 'web', 'enabled', false);
    expect(edited).toBe(yaml('# c', 'version: 1', 'services:', '  web: {enabled: false}'));
  });

  it('deletes an entry and refuses duplicates and unknown services', () => {
    expect(removeServiceText(STACK, 'web')).not.toContain('web:');
    expect(removeServiceText(STACK, 'web')).toContain('# my stack');
    expect(() => addServiceText(STACK, 'db', {})).toThrow(/already has a service named "db"/);
    expect(() => setServiceKeyText(STACK, 'nope', 'enabled', false)).toThrow(/no service named "nope"/);
  });
});

describe('removing a service', () => {
  it('cuts exactly its lines', () => {
    expect(removeServiceText(STACK, 'db')).toBe(STACK.replace('  db:\n    command: [postgres]   # pinned\n    ready:\n      tcp: 5432\n', ''));
    expect(removeServiceText(STACK, 'web')).toBe(STACK.replace('  web:   # the front\n    command: node server.js --a-very-long-option-that-goes-on-and-on-beyond-eighty-columns-for-sure\n    env: {A: "1"}\n', ''));
  });
});

describe('setServiceValueText (stack update\'s pins)', () => {
  const commit = 'b'.repeat(40);
  it('replaces plugin.commit in place, comments and layout kept', () => {
    const text = `services:\n  # the plugin\n  web:\n    plugin:\n      git: file:///x # url\n      commit: ${'a'.repeat(40)} # pinned\n    env: { A: 1 }\n`;
    expect(setServiceValueText(text, 'web', ['plugin', 'commit'], commit)).toBe(text.replace('a'.repeat(40), commit));
  });

  it('adds a missing commit to a block map and to a flow map', () => {
    const block = `services:\n  web:\n    plugin:\n      git: file:///x\n      ref: main\n    # after\n  db: { command: x }\n`;
    expect(setServiceValueText(block, 'web', ['plugin', 'commit'], commit)).toBe(block.replace('ref: main\n', `ref: main\n      commit: ${commit}\n`));
    const flow = `services:\n  web: { plugin: { git: "file:///x", ref: main } }  # flow\n`;
    expect(setServiceValueText(flow, 'web', ['plugin', 'commit'], commit)).toBe(flow.replace('ref: main }', `ref: main, commit: ${commit} }`));
  });

  it('quotes a value YAML would read as a number', () => {
    const digits = '1'.repeat(40);
    const text = `services:\n  web:\n    plugin: { git: "file:///x" }\n`;
    expect(setServiceValueText(text, 'web', ['plugin', 'commit'], digits)).toContain(`commit: "${digits}"`);
  });
});
