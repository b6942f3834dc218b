import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { folderIdOf, markOf } from '../../src/load/folder-names.js';
import { readStack } from '../../src/load/read-stack.js';
import { PROVIDERS } from '../../src/providers/registry.js';

const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

/** Two clones of one project: folders of the same name in different places. */
function clone(): string {
  const parent = mkdtempSync(join(tmpdir(), 'stack-names-'));
  folders.push(parent);
  const root = join(parent, 'shop');
  mkdirSync(root);
  writeFileSync(join(root, 'docker-compose.yml'), 'services: {}\n');
  writeFileSync(join(root, 'stack.yaml'), 'version: 1\nservices:\n  db:\n    compose: { file: docker-compose.yml }\n');
  return root;
}

const composeProject = async (root: string): Promise<unknown> => {
  const [db] = (await readStack(join(root, 'stack.yaml'), { providers: PROVIDERS, env: {} })).services;
  return db?.provider === 'compose' ? db.compose.project : undefined;
};

describe('names of a stack folder', () => {
  it('gives two clones of one project compose projects of their own', async () => {
    const [one, two] = [clone(), clone()];
    expect(await composeProject(one)).toBe(`shop-${markOf(realpathSync(one))}-db`);
    expect(await composeProject(two)).toBe(`shop-${markOf(realpathSync(two))}-db`);
    expect(await composeProject(one)).not.toBe(await composeProject(two));
  });

  it('keeps a written project: as it is', async () => {
    const root = clone();
    writeFileSync(join(root, 'stack.yaml'), 'version: 1\nproject: shop\nservices:\n  db:\n    compose: { file: docker-compose.yml }\n');
    expect(await composeProject(root)).toBe('shop-db');
  });

  it('keeps the names of before for a stack whose state records them, after its down too', async () => {
    const root = clone();
    mkdirSync(join(root, '.stack'));
    const state = { formatVersion: 1, project: 'shop', services: { db: { provider: 'compose', fields: { 'compose.project': 'shop-db' } } } };
    writeFileSync(join(root, '.stack', 'state.json'), JSON.stringify(state));
    expect(await folderIdOf(root)).toBeUndefined();
    expect(await composeProject(root)).toBe('shop-db');
    expect(JSON.parse(readFileSync(join(root, '.stack', 'names.json'), 'utf8'))).toEqual({ formatVersion: 1, folder: realpathSync(root), compose: 'project' });
    // `down` forgets the services; the volumes of shop-db are still there, so the name stays.
    writeFileSync(join(root, '.stack', 'state.json'), JSON.stringify({ ...state, services: {} }));
    expect(await composeProject(root)).toBe('shop-db');
    rmSync(join(root, '.stack', 'names.json'));
    expect(await composeProject(root)).toBe(`shop-${markOf(realpathSync(root))}-db`);
  });

  it('does not take a state that records the new names for one of before', async () => {
    const root = clone();
    mkdirSync(join(root, '.stack'));
    const project = `shop-${markOf(realpathSync(root))}-db`;
    writeFileSync(join(root, '.stack', 'state.json'), JSON.stringify({ formatVersion: 1, project: 'shop', services: { db: { fields: { 'compose.project': project } } } }));
    expect(await composeProject(root)).toBe(project);
  });
});
