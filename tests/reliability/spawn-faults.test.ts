// A binary that disappears, a cwd that does not exist, a full process table: a clear failure for
// that service and nothing else affected. Also: metacharacters never reach a shell.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeSpawnError } from '../../src/providers/process/start.js';
import { SpawnError } from '../../src/os/runner.js';
import { stack, tempStack, waitFor } from '../support/stack-cli.js';
import { figures, printFigures, processesMarked, stackTraceLines, uniqueMarker } from './support.js';

const made: ReturnType<typeof tempStack>[] = [];
afterEach(() => {
  for (const created of made.splice(0)) {
    stack(['down', '--yes', '-f', created.file]);
    created.cleanup();
  }
});
afterAll(() => printFigures('spawn-faults'));

const idle = (marker: string) => `[node, -e, "setInterval(() => {}, 1e9)", ${marker}]`;

describe('spawn failures fail one service only', () => {
  it('a binary removed after apply: the re-apply names the executable; the others keep running', () => {
    const marker = uniqueMarker();
    const s = tempStack(`version: 1\nservices:\n  tool:\n    command: [./bin/tool.sh, ${marker}]\n  other:\n    command: ${idle(marker)}\n`);
    made.push(s);
    mkdirSync(join(s.dir, 'bin'));
    writeFileSync(join(s.dir, 'bin', 'tool.sh'), '#!/bin/sh\nexec sleep 1000\n');
    chmodSync(join(s.dir, 'bin', 'tool.sh'), 0o755);
    expect(stack(['apply', '--yes', '-f', s.file]).code).toBe(0);
    const other = s.state().services.other?.pid;
    rmSync(join(s.dir, 'bin', 'tool.sh'));
    process.kill(-(s.state().services.tool?.pid as number), 'SIGKILL');
    figures.faultsInjected += 1;
    const result = stack(['apply', '--yes', '-f', s.file]);
    expect(stackTraceLines(result.stderr)).toEqual([]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('✗ tool start failed: executable "./bin/tool.sh" not found');
    expect(s.state().services.other?.pid).toBe(other);
    expect(processesMarked(marker).map((proc) => proc.pid)).toEqual([other]);
  });

  it('a cwd that does not exist: an invalid stack.yaml naming it at file:line:col; nothing starts', () => {
    const marker = uniqueMarker();
    const s = tempStack(`version: 1\nservices:\n  lost:\n    command: ${idle(marker)}\n    cwd: ./nowhere\n  fine:\n    command: ${idle(marker)}\n`);
    made.push(s);
    figures.faultsInjected += 1;
    const result = stack(['apply', '--yes', '-f', s.file]);
    expect(stackTraceLines(result.stderr)).toEqual([]);
    expect(result.code).toBe(5);
    expect(result.stderr).toContain(`stack.yaml:5:5: services.lost.cwd: working folder ./nowhere does not exist (looked for ${join(s.dir, 'nowhere')}`);
    expect(processesMarked(marker)).toEqual([]);
  });

  // RLIMIT_NPROC does not bind root (CI runs as root here), so a real full process table cannot be
  // made reliably; the mapping of the errno fork/exec returns is what a person sees.
  it.each([
    ['EAGAIN', /the process table is full or your process limit \(ulimit -u\) is reached \(EAGAIN\)/],
    ['ENOMEM', /out of memory \(ENOMEM\)/],
    ['EMFILE', /too many open files in stack \(EMFILE\)/],
  ])('spawn %s is explained, naming the service and the program', (code, words) => {
    const error = describeSpawnError('web', new SpawnError(['node', 'server.js'], code, `spawn node ${code}`));
    expect(error.message).toMatch(/^web: cannot start "node": /);
    expect(error.message).toMatch(words);
    expect(error.service).toBe('web');
  });
});

describe('shell metacharacters never reach a shell', () => {
  const hostile = ['$(touch PWNED)', '`touch PWNED`', '; touch PWNED', '| touch PWNED', '&& touch PWNED', "' \" \\ $HOME $$ * ? [a] {b,c} > out < in #", 'a\nb'];

  it('in argv, string commands and env values, the program receives them exactly as written', async () => {
    const marker = uniqueMarker();
    // Written aside and renamed into place: the test polls for the file, and must never read it half written.
    const report = `const fs = require('fs'); fs.writeFileSync(process.argv[2] + '.part', JSON.stringify({ argv: process.argv.slice(3), env: process.env.HOSTILE })); fs.renameSync(process.argv[2] + '.part', process.argv[2]); setInterval(() => {}, 1e9);`;
    const yaml = [
      'version: 1',
      'services:',
      '  listed:',
      `    command: ${JSON.stringify(['node', 'report.js', 'listed.json', marker, ...hostile])}`,
      `    env: { HOSTILE: ${JSON.stringify(hostile.join(' '))} }`,
      '  split:',
      // A string command is split like a shell would, quotes respected, but no shell runs.
      `    command: ${JSON.stringify(`node report.js split.json ${marker} '$(touch PWNED)' "\`touch PWNED\`" ';' touch PWNED '&&' touch PWNED`)}`,
      '  probed:',
      `    command: [node, report.js, probed.json, ${marker}]`,
      `    ready: { exec: ${JSON.stringify(['node', '-e', 'process.exit(0)', '$(touch PWNED)', '; touch PWNED'])}, timeout: 5s }`,
      '',
    ].join('\n');
    const s = tempStack(yaml, { 'report.js': report });
    made.push(s);
    figures.faultsInjected += 1;
    const result = stack(['apply', '--yes', '-f', s.file]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const read = (file: string) => waitFor(() => existsSync(join(s.dir, file)) && (JSON.parse(readFileSync(join(s.dir, file), 'utf8')) as { argv: string[]; env?: string }), 5000, file);
    // stack's own ${VAR} interpolation (README) is the only rewriting: $HOME is expanded, $$ is a literal $.
    const interpolated = (text: string) => text.replace('$HOME', process.env.HOME ?? '').replace('$$', '$');
    expect(await read('listed.json')).toEqual({ argv: [marker, ...hostile.map(interpolated)], env: interpolated(hostile.join(' ')) });
    expect((await read('split.json')).argv).toEqual([marker, '$(touch PWNED)', '`touch PWNED`', ';', 'touch', 'PWNED', '&&', 'touch', 'PWNED']);
    expect((await read('probed.json')).argv).toEqual([marker]);
    expect(existsSync(join(s.dir, 'PWNED'))).toBe(false);
    expect(existsSync(join(s.dir, 'out'))).toBe(false);
  });

  it('with shell: true the same text does run through sh (the control)', async () => {
    const s = tempStack('version: 1\nservices:\n  shelled:\n    command: "touch PWNED; sleep 1000"\n    shell: true\n');
    made.push(s);
    expect(stack(['apply', '--yes', '-f', s.file]).code).toBe(0);
    await waitFor(() => existsSync(join(s.dir, 'PWNED')), 5000, 'the shell to run touch');
  });
});
