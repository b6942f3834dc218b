// Runs the built CLI (bin/stack.cjs → dist/) as users do, in temp folders.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { afterEach } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';


export const STACK_BIN = join(import.meta.dirname, '..', '..', 'bin', 'stack.cjs');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function stack(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): CliResult {
  const result = spawnSync(process.execPath, [STACK_BIN, ...args], {
    cwd: options.cwd,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    input: options.input,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The built CLI running in the background, its output collected as it comes. */
export function spawnCli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const child = spawn(process.execPath, [STACK_BIN, ...args], {
    cwd: options.cwd,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let result: CliResult | undefined;
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const done = new Promise<CliResult>((resolve) =>
    child.on('close', (code) => {
      result = { code, stdout, stderr };
      resolve(result);
    }),
  );
  return { child, done, stdout: () => stdout, stderr: () => stderr, result: () => result };
}

/** Starts the CLI without waiting, for tests that signal it mid-run. */
export function stackAsync(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const { child, done } = spawnCli(args, options);
  return { child, done };
}

/** A temp folder holding stack.yaml with `yaml`; removed (after `down`) by `cleanup`. */
export function tempStack(yaml: string, files: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'stack-test-'));
  const file = join(dir, 'stack.yaml');
  writeFileSync(file, yaml);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return {
    dir,
    file,
    write(text: string) {
      writeFileSync(file, text);
    },
    state(): { services: Record<string, { pid?: number; startTicks?: number; restarts: number; lastExit?: unknown; stop?: { signal: string; timeoutMs: number }; dependsOn?: string[] }> } {
      return JSON.parse(readFileSync(join(dir, '.stack', 'state.json'), 'utf8'));
    },
    cleanup() {
      killRecordedGroups(dir);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Last-resort clean-up: kill every process group the state file records. */
export function killRecordedGroups(dir: string): void {
  try {
    const state = JSON.parse(readFileSync(join(dir, '.stack', 'state.json'), 'utf8')) as { services: Record<string, { pgid?: number }> };
    for (const record of Object.values(state.services)) {
      if (record.pgid) {
        try {
          process.kill(-record.pgid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  } catch {
    // no state file
  }
}

/** Live (non-zombie) processes whose command line contains `marker`. */
export function processesWith(marker: string): { pid: number; pgid: number; cmdline: string }[] {
  const found: { pid: number; pgid: number; cmdline: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ');
      if (!cmdline.includes(marker)) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === 'Z') continue;
      found.push({ pid: Number(entry), pgid: Number(fields[2]), cmdline });
    } catch {
      // exited while we looked
    }
  }
  return found;
}

export { waitFor } from './wait.js';

export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Sends no signal: run sh synchronously, for fixtures. */
export function sh(script: string): string {
  return spawnSync('sh', ['-c', script], { encoding: 'utf8' }).stdout;
}

/**
 * Temp stacks and background children for one test file, all ended after each test (`down`,
 * then the last-resort kill of recorded groups): call once at the top of the file.
 */
export function scratchStacks(): { scratch: (yaml: string, files?: Record<string, string>) => ReturnType<typeof tempStack>; children: ChildProcess[] } {
  const made: ReturnType<typeof tempStack>[] = [];
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
    for (const created of made.splice(0)) {
      stack(['down', '--yes', '-f', created.file]);
      created.cleanup();
    }
  });
  const scratch = (yaml: string, files: Record<string, string> = {}) => {
    const created = tempStack(yaml, files);
    made.push(created);
    return created;
  };
  return { scratch, children };
}
