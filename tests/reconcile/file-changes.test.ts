// A plan names the plugin files that changed, not two hashes.
import { describe, expect, it } from 'vitest';
import { describeFileChanges, fileChanges, nameChangedFiles } from '../../src/reconcile/file-changes.js';
import { changeReason } from '../../src/reconcile/diff.js';

const before = { 'plugin.yaml': '-aaa', 'start.sh': 'xbbb', 'old.sh': '-ccc' };
const after = { 'plugin.yaml': '-aaa', 'start.sh': 'xbbc', 'lib/new.sh': '-ddd' };

describe('file changes', () => {
  it('splits into added, changed and removed, each sorted', () => {
    expect(fileChanges(before, after)).toEqual({ added: ['lib/new.sh'], changed: ['start.sh'], removed: ['old.sh'] });
    expect(fileChanges(after, after)).toEqual({ added: [], changed: [], removed: [] });
  });

  it('replaces the hashes of plugin.files by the files, only when both sides know them', () => {
    const hashes = [{ field: 'plugin.files', before: 'h1', after: 'h2', sensitive: false }, { field: 'env.MODE', before: 'a', after: 'b', sensitive: false }];
    const named = nameChangedFiles(hashes, before, after);
    expect(named[0]).toEqual({ field: 'plugin.files', sensitive: false, files: { added: ['lib/new.sh'], changed: ['start.sh'], removed: ['old.sh'] } });
    expect(named[1]).toEqual(hashes[1]);
    expect(nameChangedFiles(hashes, undefined, after)).toEqual(hashes);
    expect(changeReason(named)).toBe('spec changed: plugin.files (changed start.sh; added lib/new.sh; removed old.sh), env.MODE');
  });

  it('names a few files, then says how many more', () => {
    const many = { added: ['a', 'b', 'c'], changed: ['d', 'e', 'f'], removed: ['g'] };
    expect(describeFileChanges(many)).toBe('changed d, e, f; added a, b and 2 more');
  });
});
