import { chmodSync, lstatSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { editStackFile } from '../../src/api/stack-file-edit.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

it('edits a symlinked stack.yaml where it points, keeping the link and the file mode', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stack-edit-'));
  dirs.push(dir);
  const real = join(dir, 'real.yaml');
  const link = join(dir, 'stack.yaml');
  writeFileSync(real, 'version: 1\nservices: {}\n');
  chmodSync(real, 0o600);
  symlinkSync(real, link);
  await editStackFile(link, (text) => text.replace('{}', '{ }'));
  expect(lstatSync(link).isSymbolicLink()).toBe(true);
  expect(readFileSync(real, 'utf8')).toBe('version: 1\nservices: { }\n');
  expect(statSync(real).mode & 0o777).toBe(0o600);
});
