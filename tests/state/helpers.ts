import { mkdtemp, realpath, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { AppliedService } from '../../src/model/observed.js';
import { waitFor } from '../support/wait.js';

/** A fresh temp folder per test; `cleanup` removes every folder made so far. */
export function tempDirs(prefix: string): { make(): Promise<string>; cleanup(): Promise<void> } {
  const made: string[] = [];
  return {
    async make() {
      const dir = await realpath(await mkdtemp(path.join(os.tmpdir(), `stack-${prefix}-`)));
      made.push(dir);
      return dir;
    },
    async cleanup() {
      await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
    },
  };
}

/** A minimal applied record; `tag` lands in specHash so records are told apart. */
export function record(tag: string, extra: Partial<AppliedService> = {}): AppliedService {
  return { provider: 'process', specHash: `spec-${tag}`, installHash: `install-${tag}`, fields: { command: tag }, restarts: 0, ...extra };
}

/** Polls `condition` until it holds or `timeoutMs` passes. */
export function waitUntil<T>(condition: () => T | Promise<T>, what: string, timeoutMs = 5000): Promise<NonNullable<T>> {
  return waitFor(condition, timeoutMs, what);
}
