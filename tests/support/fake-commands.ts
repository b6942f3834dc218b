// Stand-ins for a service manager's commands (systemctl, loginctl, launchctl) where the real one
// cannot run: each records its argv in a log and answers from a table of patterns.
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A case pattern of `sh` over the arguments (`*is-active*`) → what the command prints and its exit code. */
export type Answers = Record<string, { stdout?: string; code?: number }>;

export interface FakeCommands {
  /** Put first on PATH. */
  bin: string;
  /** Every call so far, one `name arg…` line each, in order. */
  calls(): string[];
}

export function fakeCommands(dir: string, commands: Record<string, Answers>): FakeCommands {
  const bin = join(dir, 'fake-bin');
  const log = join(dir, 'fake-calls.log');
  mkdirSync(bin, { recursive: true });
  writeFileSync(log, '');
  for (const [name, answers] of Object.entries(commands)) {
    const cases = Object.entries(answers).map(([pattern, { stdout, code }]) => `  ${pattern}) ${stdout === undefined ? '' : `printf '%s\\n' ${shellWord(stdout)}; `}exit ${code ?? 0};;`);
    const script = ['#!/bin/sh', `printf '%s\\n' "${name} $*" >> ${shellWord(log)}`, 'case "$*" in', ...cases, 'esac', 'exit 0', ''].join('\n');
    writeFileSync(join(bin, name), script);
    chmodSync(join(bin, name), 0o755);
  }
  return { bin, calls: () => readFileSync(log, 'utf8').split('\n').filter((line) => line !== '') };
}

function shellWord(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}
