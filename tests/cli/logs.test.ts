import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { run } from '../../src/cli/commands/logs.js';
import { ExitCode, StackError } from '../../src/model/errors.js';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('stack logs -f <file>', () => {
  it('says that -f is follow for logs and the file goes with --file', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'stack-logs-'));
    const file = path.join(dir, 'my stack.yaml');
    await writeFile(file, 'version: 1\nservices: {}\n');
    // As commander hands it over from `stack logs -f '<dir>/my stack.yaml' web` (see argv.ts).
    const error = await run({ follow: true }, [file, 'web']).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(StackError);
    expect((error as StackError).code).toBe(ExitCode.serviceNotFound);
    expect((error as StackError).message).toBe(`no service named "${file}"`);
    expect((error as StackError).hint).toBe(`for \`logs\`, -f means --follow (as in tail -f); give the stack file with --file: stack logs --file '${file}' web`);
  });
});
