import { describe, expect, it } from 'vitest';
import { parseStackText } from '../../src/config/parse.js';
import { yaml } from './helpers.js';

const lines = (text: string) =>
  parseStackText(text, 'stack.yaml').issues.map((issue) => `${issue.position?.line}:${issue.position?.column} ${issue.message}`);

describe('parseStackText', () => {
  it('returns the plain value of a good document', () => {
    const parsed = parseStackText(yaml('version: 1', 'services:', '  web: { command: [node, app.js] }'), 'stack.yaml');
    expect(parsed.issues).toEqual([]);
    expect(parsed.document).toEqual({ version: 1, services: { web: { command: ['node', 'app.js'] } } });
  });

  it('reports a duplicate key at the second occurrence', () => {
    expect(lines(yaml('version: 1', 'services:', '  web: {}', '  web: {}'))).toEqual(['4:3 invalid YAML: map keys must be unique']);
  });

  it('reports tabs used as indentation', () => {
    expect(lines(yaml('version: 1', 'services:', '\tweb: {}'))).toEqual(['3:1 invalid YAML: tabs are not allowed as indentation']);
  });

  it('reports a syntax error with its line and column', () => {
    expect(lines(yaml('version: 1', 'services: [a,'))).toEqual([
      '3:1 invalid YAML: flow sequence in block collection must be sufficiently indented and end with a ]',
    ]);
  });

  it('reports a nested compact mapping', () => {
    expect(lines(yaml('version: 1', 'services: web: x'))).toEqual(['2:11 invalid YAML: nested mappings are not allowed in compact mappings']);
  });

  it('reports more than one document, at the second', () => {
    expect(lines(yaml('version: 1', '---', 'version: 1'))).toEqual(['2:1 stack.yaml must be one YAML document; a second document starts here']);
    expect(lines(yaml('---', 'version: 1', 'services: {}', '...', 'version: 1'))).toEqual([
      '5:1 stack.yaml must be one YAML document; a second document starts here',
    ]);
  });

  it('reports NUL and other control characters', () => {
    expect(lines(yaml('version: 1', 'project: a\u0000b'))).toEqual(['2:11 invalid character U+0000 in the file']);
    expect(lines('version: 1\u0007\n')).toEqual(['1:11 invalid character U+0007 in the file']);
  });

  it('reports a lone surrogate but accepts a pair', () => {
    expect(lines(yaml('project: "x\uD800"'))).toEqual(['1:12 invalid character U+D800 in the file']);
    expect(lines(yaml('project: "\uD83D\uDE80"'))).toEqual([]);
  });

  it('reports an unknown tag', () => {
    expect(lines(yaml('version: 1', 'project: !secret x'))).toEqual(['2:10 invalid YAML: unresolved tag: !secret']);
  });

  it('reports a map used as a key', () => {
    expect(lines(yaml('version: 1', '? [a, b]', ': 1'))).toEqual(['2:3 a key must be plain text, not a map or a list']);
  });

  it('stops an alias bomb with an issue', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let level = 1; level < 6; level += 1) {
      const previous = String.fromCharCode(96 + level);
      const name = String.fromCharCode(97 + level);
      bomb.push(`${name}: &${name} [${Array(10).fill(`*${previous}`).join(', ')}]`);
    }
    const parsed = parseStackText(yaml(...bomb), 'stack.yaml');
    expect(parsed.document).toBeUndefined();
    expect(parsed.issues).toEqual([
      {
        message: 'its aliases expand it by more than 100,000 values; is this an alias bomb?',
        path: '',
        position: { file: 'stack.yaml', line: 1, column: 1 },
      },
    ]);
  });

  it('reports an alias to an unknown anchor at the alias, not as an alias bomb', () => {
    expect(lines(yaml('version: 1', 'services:', '  web:', '    command: x', '    stop: *nosuch'))).toEqual([
      '5:11 unknown alias *nosuch: an anchor &nosuch must be defined before it is used',
    ]);
    expect(lines(yaml('a: *later', 'b: &later 1'))).toEqual(['1:4 unknown alias *later: an anchor &later must be defined before it is used']);
  });

  it('takes 150 services merging one anchor (`<<: *common`), counting real size, not alias uses', () => {
    const services = Array.from({ length: 150 }, (_, i) => [`  s${i}:`, '    <<: *common', `    env: { N: ${i} }`]).flat();
    const parsed = parseStackText(yaml('version: 1', 'defaults:', '  restart: &common', '    command: [sleep, "1"]', '    cwd: .', 'services:', ...services), 'stack.yaml');
    expect(parsed.issues).toEqual([]);
    const document = parsed.document as { services: Record<string, unknown> };
    expect(Object.keys(document.services)).toHaveLength(150);
    expect(document.services.s149).toEqual({ command: ['sleep', '1'], cwd: '.', env: { N: 149 } });
  });

  it('takes an anchor used 2,000 times, and refuses growth past the limit (a block of 60 values used 2,000 times)', () => {
    const uses = (count: number, size: number) =>
      parseStackText(yaml(`x: &x [${Array(size).fill('v').join(', ')}]`, 'y:', ...Array.from({ length: count }, () => '  - *x')), 'stack.yaml');
    expect(uses(2000, 3).issues).toEqual([]);
    expect(uses(2000, 60).issues.map((issue) => issue.message)).toEqual(['its aliases expand it by more than 100,000 values; is this an alias bomb?']);
  });

  it('reports a merge of something that is not a map as an issue, never a throw', () => {
    expect(parseStackText(yaml('a: &a 1', 'b:', '  <<: *a'), 'stack.yaml').issues).toHaveLength(1);
  });

  it('allows a few aliases', () => {
    const parsed = parseStackText(yaml('x: &env { A: 1 }', 'y: *env'), 'stack.yaml');
    expect(parsed.document).toEqual({ x: { A: 1 }, y: { A: 1 } });
  });

  it('rejects a text over 1 MiB at line 1', () => {
    const parsed = parseStackText(`# ${'x'.repeat(2 * 1024 * 1024)}\n`, 'big.yaml');
    expect(parsed.document).toBeUndefined();
    expect(parsed.issues).toHaveLength(1);
    expect(parsed.issues[0]?.message).toMatch(/larger than 1 MiB/);
    expect(parsed.issues[0]?.position).toEqual({ file: 'big.yaml', line: 1, column: 1 });
  });
});

describe('locate', () => {
  const text = yaml('version: 1', 'services:', '  web:', '    ports: [80, "127.0.0.1:81"]', '    env:', '      A: 1');
  const { locate } = parseStackText(text, 'stack.yaml');

  it('points map entries at their key', () => {
    expect(locate(['services', 'web'])).toEqual({ file: 'stack.yaml', line: 3, column: 3 });
    expect(locate(['services', 'web', 'env', 'A'])).toEqual({ file: 'stack.yaml', line: 6, column: 7 });
  });

  it('points list items at the item', () => {
    expect(locate(['services', 'web', 'ports', 1])).toEqual({ file: 'stack.yaml', line: 4, column: 17 });
  });

  it('points the empty path at the document start and misses unknown paths', () => {
    expect(locate([])).toEqual({ file: 'stack.yaml', line: 1, column: 1 });
    expect(locate(['services', 'api'])).toBeUndefined();
    expect(locate(['services', 'web', 'ports', 5])).toBeUndefined();
  });

  it('follows aliases', () => {
    const aliased = parseStackText(yaml('base: &b { A: 1 }', 'env: *b'), 'stack.yaml');
    expect(aliased.locate(['env', 'A'])).toEqual({ file: 'stack.yaml', line: 1, column: 12 });
  });
});
