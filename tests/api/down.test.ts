import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { recordedWorkspace } from '../../src/api/down.js';
import { statePaths } from '../../src/state/paths.js';
import { tempDirs } from '../state/helpers.js';

const dirs = tempDirs('api-down');
afterEach(() => dirs.cleanup());

async function stackWithState(text?: string): Promise<string> {
  const root = await dirs.make();
  if (text !== undefined) {
    await mkdir(statePaths(root).dir, { recursive: true });
    await writeFile(statePaths(root).stateFile, text);
  }
  return path.join(root, 'stack.yaml');
}

describe('recordedWorkspace (down when stack.yaml does not load)', () => {
  it('is undefined when nothing is recorded: the load error stands', async () => {
    expect(await recordedWorkspace(await stackWithState())).toBeUndefined();
  });

  it('has no services and the project the state records', async () => {
    const file = await stackWithState(JSON.stringify({ formatVersion: 1, project: 'shop', services: {} }));
    const workspace = await recordedWorkspace(file);
    expect(workspace?.desired).toMatchObject({ project: 'shop', file, root: path.dirname(file), services: [] });
    expect(workspace?.paths.stateFile).toBe(statePaths(path.dirname(file)).stateFile);
  });

  it('takes the folder name for the project when the state names none or is not JSON', async () => {
    for (const text of ['{"formatVersion":1}', '{ truncated']) {
      const file = await stackWithState(text);
      expect((await recordedWorkspace(file))?.desired.project).toBe(path.basename(path.dirname(file)));
    }
  });
});
