// Files that are not what stack expects: a `.stack` or a file in it that is a symbolic link (stack
// must never change, write or show a file outside the project through it), and files stack reads
// that are not regular files (a FIFO that would hang the read, /dev/zero that never ends).
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeState, emptyState } from '../../src/state/state-file.js';
import { stack, tempStack } from '../support/stack-cli.js';
import { figures, printFigures, processesMarked, stackTraceLines, uniqueMarker } from './support.js';

const made: ReturnType<typeof tempStack>[] = [];
const outside: string[] = [];
afterEach(() => {
  for (const created of made.splice(0)) {
    stack(['down', '--yes', '-f', created.file]);
    created.cleanup();
  }
  for (const dir of outside.splice(0)) rmSync(dir, { recursive: true, force: true });
});
afterAll(() => printFigures('file-safety'));

const SECRET = 'SECRET-not-for-stack-0123456789';
const idle = (marker: string) => `[node, -e, "setInterval(() => {}, 1e9)", ${marker}]`;

/** A folder outside the project, like a shared /tmp folder (mode 1777), holding a secret file. */
function outsideFolder(): { dir: string; secret: string } {
  const dir = mkdtempSync(join(tmpdir(), 'stack-outside-'));
  outside.push(dir);
  chmodSync(dir, 0o1777);
  const secret = join(dir, 'secret.txt');
  writeFileSync(secret, `${SECRET}\n`, { mode: 0o644 });
  return { dir, secret };
}

function project(marker: string, extra = ''): ReturnType<typeof tempStack> {
  const s = tempStack(`version: 1\nservices:\n  web:\n    command: ${idle(marker)}\n${extra}`);
  made.push(s);
  return s;
}

/** Every command a person would try, with what it printed; none may show the secret or a stack trace. */
function runAll(s: ReturnType<typeof tempStack>, commands: string[][]): { args: string[]; code: number | null; out: string }[] {
  return commands.map((args) => {
    const result = stack([...args, '-f', s.file]);
    figures.faultsInjected += 1;
    figures.stackTraces += stackTraceLines(result.stderr).length;
    return { args, code: result.code, out: result.stdout + result.stderr };
  });
}

const COMMANDS = [['apply', '--yes'], ['status'], ['plan'], ['logs', 'web'], ['restart', 'web'], ['down', '--yes']];

describe('links in .stack are refused, never followed', () => {
  it('.stack linked to a shared 1777 folder: every command refuses it by name; the folder keeps its mode and gets no file; nothing starts', () => {
    const marker = uniqueMarker();
    const s = project(marker);
    const shared = outsideFolder();
    symlinkSync(shared.dir, join(s.dir, '.stack'));
    const before = readdirSync(shared.dir);
    for (const run of runAll(s, COMMANDS)) {
      expect(run.out, run.args.join(' ')).not.toContain(SECRET);
      expect(stackTraceLines(run.out)).toEqual([]);
      if (run.args[0] !== 'down') expect(run.code, `${run.args.join(' ')}: ${run.out}`).not.toBe(0);
    }
    expect(stack(['apply', '--yes', '-f', s.file]).stderr).toContain(`refusing to use ${join(s.dir, '.stack')}: it is a symbolic link (to ${shared.dir})`);
    expect(statSync(shared.dir).mode & 0o7777).toBe(0o1777);
    expect(readdirSync(shared.dir)).toEqual(before);
    expect(processesMarked(marker)).toEqual([]);
    rmSync(join(s.dir, '.stack'));
  });

  it.each([
    ['state.json', 'state.json'],
    ['lock', 'lock'],
    ['logs/web.log', join('logs', 'web.log')],
  ])('.stack/%s linked to a file outside: refused by name; the target is neither shown, written nor changed in mode', (_name, relative) => {
    const marker = uniqueMarker();
    const s = project(marker);
    const { secret } = outsideFolder();
    mkdirSync(join(s.dir, '.stack', 'logs'), { recursive: true, mode: 0o700 });
    const link = join(s.dir, '.stack', relative);
    symlinkSync(secret, link);
    const runs = runAll(s, COMMANDS);
    for (const run of runs) expect(run.out, run.args.join(' ')).not.toContain(SECRET);
    expect(runs.map((run) => run.out).join('\n')).toContain(`refusing to use ${link}: it is a symbolic link`);
    expect(runs[0]?.code).toBe(1);
    expect(readFileSync(secret, 'utf8')).toBe(`${SECRET}\n`);
    expect(statSync(secret).mode & 0o777).toBe(0o644);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    // A log that is a link fails its service alone; nothing was started through it.
    if (relative !== 'state.json') expect(processesMarked(marker)).toEqual([]);
  });

  it('a temp file name taken by a link: the state write fails rather than write through it, and leaves no temp file', async () => {
    const { dir, secret } = outsideFolder();
    const stateDir = join(dir, 'project', '.stack');
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    const file = join(stateDir, 'state.json');
    // The temp names writeState would use next in this process: `state.json.<pid>.<n>.tmp`.
    for (let n = 1; n <= 200; n += 1) symlinkSync(secret, `${file}.${process.pid}.${n}.tmp`);
    figures.faultsInjected += 1;
    await expect(writeState(file, emptyState('p'))).rejects.toThrow(/EEXIST/);
    expect(readFileSync(secret, 'utf8')).toBe(`${SECRET}\n`);
    expect(existsSync(file)).toBe(false);
  });
});

describe('stack reads only regular files, and at most 1 MiB of each', () => {
  const fifo = (path: string) => execFileSync('mkfifo', [path]);

  it.each([
    ['envFile: /dev/zero', (s: ReturnType<typeof tempStack>) => s.write(`version: 1\nservices:\n  web:\n    command: [sleep, "1"]\n    envFile: /dev/zero\n`), 'cannot read env file /dev/zero: it is a character device, not a regular file'],
    ['an env file that is a FIFO', (s: ReturnType<typeof tempStack>) => {
      fifo(join(s.dir, 'app.env'));
      s.write(`version: 1\nservices:\n  web:\n    command: [sleep, "1"]\n    envFile: app.env\n`);
    }, 'app.env: it is a FIFO (named pipe), not a regular file'],
    ['.env that is a FIFO', (s: ReturnType<typeof tempStack>) => fifo(join(s.dir, '.env')), '.env: it is a FIFO (named pipe), not a regular file'],
    ['stack.yaml that is a FIFO', (s: ReturnType<typeof tempStack>) => {
      rmSync(s.file);
      fifo(s.file);
    }, 'stack.yaml:1:1: the file is a FIFO (named pipe), not a regular file'],
    ['plugin.yaml that is a FIFO', (s: ReturnType<typeof tempStack>) => {
      mkdirSync(join(s.dir, 'plug'));
      fifo(join(s.dir, 'plug', 'plugin.yaml'));
      s.write(`version: 1\nservices:\n  web:\n    plugin: ./plug\n`);
    }, 'plugin.yaml:1:1: the file is a FIFO (named pipe), not a regular file'],
    ['an env file growing past 1 MiB while stat says less (/proc)', (s: ReturnType<typeof tempStack>) => {
      // /proc files say size 0 in stat (this one holds ~5 MB): only a count while reading finds them too large.
      s.write(`version: 1\nservices:\n  web:\n    command: [sleep, "1"]\n    envFile: /proc/kallsyms\n`);
    }, 'cannot read env file /proc/kallsyms: it is larger than 1 MiB'],
  ])('%s: validate and apply exit 5 naming the file, at once, nothing started', (_name, arrange, message) => {
    const marker = uniqueMarker();
    const s = project(marker);
    arrange(s);
    for (const run of runAll(s, [['validate'], ['apply', '--yes']])) {
      // spawnSync's 60 s timeout would give code null: a hang shows as a wrong exit code.
      expect(run.code, run.out).toBe(5);
      expect(run.out).toContain(message);
      expect(stackTraceLines(run.out)).toEqual([]);
    }
    expect(processesMarked(marker)).toEqual([]);
  });

  it('a state.json that is a FIFO is refused by name, without hanging', () => {
    const marker = uniqueMarker();
    const s = project(marker);
    mkdirSync(join(s.dir, '.stack'), { mode: 0o700 });
    fifo(join(s.dir, '.stack', 'state.json'));
    try {
      for (const run of runAll(s, [['status'], ['apply', '--yes']])) {
        expect(run.code, run.out).toBe(1);
        expect(run.out).toContain(`refusing to use ${join(s.dir, '.stack', 'state.json')}: it is a FIFO (named pipe)`);
      }
      expect(processesMarked(marker)).toEqual([]);
    } finally {
      // The clean-up reads the state to kill what it records: a FIFO would hang it.
      rmSync(join(s.dir, '.stack', 'state.json'));
    }
  });
});
