import { describe, expect, it } from 'vitest';
import { basename, dirname, normalizePath, relativePath, resolvePath } from '../../src/config/paths.js';

describe('paths', () => {
  it('normalizes', () => {
    expect(normalizePath('/a//b/./c/../d/')).toBe('/a/b/d');
    expect(normalizePath('/../a')).toBe('/a');
    expect(normalizePath('../a/../../b')).toBe('../../b');
    expect(normalizePath('./')).toBe('.');
  });

  it('resolves relative to a base, absolute paths alone', () => {
    expect(resolvePath('/srv/app', './bot')).toBe('/srv/app/bot');
    expect(resolvePath('/srv/app', '../shared/.env')).toBe('/srv/shared/.env');
    expect(resolvePath('/srv/app', '/etc/x')).toBe('/etc/x');
    expect(resolvePath('/srv/app', '.')).toBe('/srv/app');
  });

  it('splits folder and name', () => {
    expect(dirname('/srv/app/stack.yaml')).toBe('/srv/app');
    expect(dirname('/stack.yaml')).toBe('/');
    expect(dirname('stack.yaml')).toBe('.');
    expect(basename('/srv/app/')).toBe('app');
  });

  it('makes a shorter relative path when there is one', () => {
    expect(relativePath('/srv/app', '/srv/app/stack.yaml')).toBe('stack.yaml');
    expect(relativePath('/srv/app/bot', '/srv/app/stack.yaml')).toBe('../stack.yaml');
    expect(relativePath('/home/a/b/c/d', '/x.yaml')).toBe('/x.yaml');
  });
});
