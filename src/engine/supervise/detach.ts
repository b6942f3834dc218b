import { constants } from 'node:fs';
import { openOwnFile, readOwnText } from '../../os/safe-file.js';
import { join } from 'node:path';
import { ExitCode, StackError } from '../../model/errors.js';
import { spawnDetached } from '../../os/runner.js';
import type { Clock } from '../../model/clock.js';
import { systemClock } from '../../os/clock.js';
import { ensureStateDir } from '../../state/state-file.js';

/** What a background controller reported after its first pass (`.stack/controller.json`). */
export interface FirstPass {
  pid: number;
  logFile: string;
  converged: boolean;
  failed: { service: string; error?: string }[];
  /** What the controller does not retry by itself, and why (absent from an older controller). */
  notRetried?: { service: string; why: string; gaveUp?: boolean }[];
}

/** The controller ended before its first pass finished: its exit code and the end of its log. */
export interface EarlyExit {
  code: number | null;
  logTail: string;
}

/**
 * Starts `stack watch` in the background (`stack up --detach`), its output in
 * `.stack/controller.log`, and resolves once it reports its first pass, or exited first.
 */
export async function startDetachedController(
  options: { cli: string; file: string; stateDir: string; intervalMs: number; parallel: number },
  clock: Clock = systemClock,
): Promise<FirstPass | EarlyExit> {
  await ensureStateDir(options.stateDir);
  const logFile = join(options.stateDir, 'controller.log');
  const statusFile = join(options.stateDir, 'controller.json');
  // A small young generation keeps a long-lived controller's memory near the floor (~10 MiB less).
  const argv = [process.execPath, '--max-semi-space-size=1', options.cli, '-f', options.file, 'watch', '--interval', `${options.intervalMs}ms`, '--parallel', String(options.parallel)];
  const log = await openOwnFile(logFile, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT);
  let child;
  try {
    child = await spawnDetached(argv, { cwd: process.cwd(), env: { NO_COLOR: '1' }, logFd: log.fd });
  } finally {
    await log.close();
  }
  let exited: { code: number | null } | undefined;
  void child.exited.then((exit) => (exited = exit));
  const deadline = clock.monotonicMs() + 10 * 60_000;
  while (clock.monotonicMs() < deadline) {
    // Not there yet, or (from an older controller) half written: asked again at the next turn.
    const status = await readOwnText(statusFile)
      .then((text) => JSON.parse(text) as Omit<FirstPass, 'logFile'>)
      .catch(() => undefined);
    if (status?.pid === child.pid) return { ...status, logFile };
    if (exited) {
      const logTail = (await readOwnText(logFile, 16 * 1024 * 1024).catch(() => '')).trimEnd().split('\n').slice(-10).join('\n');
      return { code: exited.code, logTail };
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new StackError(ExitCode.actionFailed, 'the background controller did not report convergence within 10 minutes', { hint: `see ${logFile}` });
}
