import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DesiredService } from '../../../src/model/desired.js';
import type { AppliedService } from '../../../src/model/observed.js';
import { makeService } from '../helpers.js';
import type { DraftService } from '../../support/desired-service.js';

/** A plugin folder `<root>/plugins/<name>` with `plugin.yaml` from `lines`. */
export async function writePlugin(root: string, name: string, lines: string[], files: Record<string, string> = {}): Promise<string> {
  const dir = join(root, 'plugins', name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'plugin.yaml'), `${lines.join('\n')}\n`);
  for (const [file, text] of Object.entries(files)) await writeFile(join(dir, file), text, { mode: 0o755 });
  return dir;
}

export function pluginService(name: string, dir: string, overrides: Partial<DraftService> = {}): DesiredService {
  return makeService(dir, ['unused'], { name, provider: 'plugin', process: undefined, ...overrides, plugin: { dir, env: {}, envFiles: [], ...overrides.plugin } });
}

export function appliedFor(dir: string, overrides: Partial<AppliedService> = {}): AppliedService {
  return { provider: 'plugin', specHash: 'h', installHash: 'i', fields: { 'plugin.dir': dir }, restarts: 0, ...overrides };
}

export async function readJournal(root: string): Promise<string[]> {
  const text = await readFile(join(root, 'journal'), 'utf8').catch(() => '');
  return text.split('\n').filter((line) => line !== '');
}
