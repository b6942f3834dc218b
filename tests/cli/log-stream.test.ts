// LogStream (`stack up`'s merged logs) on real files; a read in flight is gated to close under it.
import { frameLine, stampOf } from '../../src/model/log-line.js';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LogStream } from '../../src/cli/log-stream.js';
import { LogFollower } from '../../src/providers/process/follow-log.js';
import { createProcessProvider } from '../../src/providers/process/process-provider.js';
import { waitFor } from '../support/wait.js';

const dirs: string[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('LogStream.close', () => {
  it('waits for the read in flight instead of closing the files under it, and prints every line once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stack-logstream-'));
    dirs.push(dir);
    mkdirSync(join(dir, 'logs'));
    const at = stampOf(new Date());
    writeFileSync(join(dir, 'logs', 'web.log'), ['one', 'two'].map((text) => frameLine({ text, stream: 'stdout', at })).join(''));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let calls = 0;
    const read = LogFollower.prototype.read;
    vi.spyOn(LogFollower.prototype, 'read').mockImplementation(async function (this: LogFollower) {
      calls += 1;
      if (calls === 1) await gate;
      return read.call(this);
    });
    let written = '';
    const provider = createProcessProvider();
    const ctx = { root: dir, stateDir: dir, redact: (text: string) => text };
    const stream = new LogStream((name, request) => provider.logs(name, undefined, undefined, request, ctx), (text) => (written += text), false, 1, undefined, new Date(Date.now() - 60_000));
    await stream.follow(['web'], true);
    await waitFor(() => calls === 1, 2000, 'the interval read to begin');
    const closed = stream.close();
    release();
    await closed;
    expect(written).toBe('web | one\nweb | two\n');
  });
});
