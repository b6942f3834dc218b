// Helpers for tests of long-running stack processes (`stack watch`, `stack up`): live output,
// the lock holder, the controller's pass record, and a clean-up that kills everything.
import type { ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { killRecordedGroups, processesWith, spawnCli, STACK_BIN, stack, tempStack, waitFor, type CliResult } from './stack-cli.js';

export interface RunningCli {
  child: ChildProcess;
  pid: number;
  /** Everything printed so far. */
  stdout(): string;
  stderr(): string;
  /** Set once the process has exited. */
  result(): CliResult | undefined;
  done: Promise<CliResult>;
  /** Waits until stderr (from `from`, a character offset) matches `pattern`; returns the match. */
  waitForStderr(pattern: RegExp, timeoutMs?: number, what?: string, from?: number): Promise<RegExpMatchArray>;
  waitForStdout(pattern: RegExp, timeoutMs?: number, what?: string): Promise<RegExpMatchArray>;
}

/** Starts the built CLI in the background with live access to its output. */
export function startCli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): RunningCli {
  const { child, done, stdout: readStdout, stderr: readStderr, result: readResult } = spawnCli(args, options);
  const watchText = (read: () => string, name: string) => (pattern: RegExp, timeoutMs = 10_000, what?: string, from = 0) =>
    waitFor(
      () => {
        const match = read().slice(from).match(pattern);
        if (match) return match;
        const result = readResult();
        if (result) throw new Error(`the process exited (code ${result.code}) before its ${name} matched ${pattern}\nstdout:\n${readStdout()}\nstderr:\n${readStderr()}`);
        return undefined;
      },
      timeoutMs,
      what ?? `${name} to match ${pattern}`,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\nstdout so far:\n${readStdout()}\nstderr so far:\n${readStderr()}`);
    });
  return {
    child,
    pid: child.pid as number,
    stdout: readStdout,
    stderr: readStderr,
    result: readResult,
    done,
    waitForStderr: watchText(readStderr, 'stderr'),
    waitForStdout: watchText(readStdout, 'stdout'),
  };
}

export interface LockRecord {
  pid: number;
  command: string;
  since: string;
}

/** `.stack/lock` of a stack folder, if there is one. */
export function lockOf(dir: string): LockRecord | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, '.stack', 'lock'), 'utf8')) as LockRecord;
  } catch {
    return undefined;
  }
}

/** `.stack/controller.json`: rewritten by the controller after every pass. */
export function passRecordOf(dir: string): { pid: number; at: string; reason: string; converged: boolean } | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, '.stack', 'controller.json'), 'utf8')) as { pid: number; at: string; reason: string; converged: boolean };
  } catch {
    return undefined;
  }
}

/** Waits for the controller to finish `count` more passes (each rewrites controller.json). */
export async function waitForPasses(dir: string, count: number, timeoutMs: number, onPass: () => void = () => undefined): Promise<void> {
  let seen = passRecordOf(dir)?.at;
  let passes = 0;
  await waitFor(
    () => {
      const at = passRecordOf(dir)?.at;
      if (at !== undefined && at !== seen) {
        seen = at;
        passes += 1;
        onPass();
      }
      return passes >= count;
    },
    timeoutMs,
    `${count} more controller passes`,
  );
}

export interface StatusRow {
  name: string;
  observed: string;
  desired: string;
  pid: number | null;
  restarts: number;
  detail?: string;
  cpu?: number | null;
  memory?: number | null;
}

export interface StatusJson {
  notice?: string;
  services: StatusRow[];
}

export function statusJson(file: string): StatusJson {
  const result = stack(['status', '--json', '-f', file]);
  if (result.code !== 0) throw new Error(`stack status --json exited ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout) as StatusJson;
}

export function rowOf(file: string, name: string): StatusRow | undefined {
  return statusJson(file).services.find((row) => row.name === name);
}

export type Scratch = ReturnType<typeof tempStack>;

/** Live processes of one test: `sleep <marker>` (excluding shells that merely mention it). */
export function sleepsWith(marker: string): { pid: number; pgid: number; cmdline: string }[] {
  return processesWith(`sleep ${marker}`).filter((proc) => proc.cmdline.startsWith('sleep '));
}

function isStackProcess(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(STACK_BIN.split('/').slice(-2).join('/'));
  } catch {
    return false;
  }
}

function kill(target: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(target, signal);
  } catch {
    // already gone
  }
}

/**
 * Everything a test started, killed in afterEach even when the test failed: first every stack
 * process (so no controller restarts what comes next), then the process groups the state files
 * record, then anything left carrying the test's markers.
 */
export class Cleanup {
  private readonly clis: RunningCli[] = [];
  private readonly stacks: Scratch[] = [];
  private readonly markers: string[] = [];

  cli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): RunningCli {
    const running = startCli(args, options);
    this.clis.push(running);
    return running;
  }

  scratch(yaml: string, files: Record<string, string> = {}): Scratch {
    const created = tempStack(yaml, files);
    this.stacks.push(created);
    return created;
  }

  marker(marker: string): string {
    this.markers.push(marker);
    return marker;
  }

  async run(): Promise<void> {
    const stackPids = new Set<number>();
    for (const running of this.clis.splice(0)) if (!running.result()) stackPids.add(running.pid);
    for (const created of this.stacks) {
      for (const pid of [lockOf(created.dir)?.pid, passRecordOf(created.dir)?.pid]) {
        if (pid && pid !== process.pid && isStackProcess(pid)) stackPids.add(pid);
      }
    }
    for (const pid of stackPids) kill(pid);
    await waitFor(() => [...stackPids].every((pid) => !isStackProcess(pid)), 5000, 'stack processes to die').catch(() => undefined);
    for (const created of this.stacks) killRecordedGroups(created.dir);
    const ownGroup = Number(readFileSync('/proc/self/stat', 'utf8').split(') ')[1]?.split(' ')[2]);
    for (const marker of this.markers.splice(0)) {
      for (const proc of processesWith(marker)) {
        if (proc.pgid > 1 && proc.pgid !== ownGroup) kill(-proc.pgid);
        kill(proc.pid);
      }
    }
    for (const created of this.stacks.splice(0)) rmSync(created.dir, { recursive: true, force: true });
  }
}
