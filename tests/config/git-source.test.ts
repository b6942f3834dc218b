import { describe, expect, it } from 'vitest';
import { gitPluginDir, gitRefProblem, gitUrlProblem } from '../../src/config/git-source.js';

describe('git plugin sources', () => {
  it('accepts the URLs git users write', () => {
    for (const url of ['https://github.com/o/r.git', 'ssh://git@host/o/r.git', 'git@github.com:o/r.git', 'file:///srv/r.git', 'git://host/r']) expect(gitUrlProblem(url), url).toBeUndefined();
  });

  it('refuses transports that run commands, options, credentials and unknown schemes', () => {
    expect(gitUrlProblem('ext::sh -c touch% /tmp/x')).toContain('"ext::" transport is not allowed');
    expect(gitUrlProblem('fd::3')).toContain('"fd::" transport');
    expect(gitUrlProblem('--upload-pack=touch /tmp/x')).toBeDefined();
    expect(gitUrlProblem('https://user:token@host/r.git')).toContain('write it as https://host/r.git');
    expect(gitUrlProblem('ftp://host/r.git')).toContain('"ftp" scheme');
    expect(gitUrlProblem('./relative/path')).toContain('expected a git URL');
  });

  it('refuses refs git would read as options or reject', () => {
    expect(gitRefProblem('main')).toBeUndefined();
    expect(gitRefProblem('release/v1.2')).toBeUndefined();
    for (const ref of ['-x', 'a..b', 'a b', 'x.lock', '@{u}', 'a:b']) expect(gitRefProblem(ref), ref).toBeDefined();
  });

  it('keeps each commit in its own folder under .stack/plugins', () => {
    expect(gitPluginDir('/s', 'web', 'a'.repeat(40))).toBe(`/s/.stack/plugins/web-${'a'.repeat(40)}`);
    expect(gitPluginDir('/s', 'web', undefined)).toBeUndefined();
  });
});
