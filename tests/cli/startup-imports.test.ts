import { build } from 'esbuild';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stack, tempStack } from '../support/stack-cli.js';

/**
 * What a command loads before it runs: every module reachable from the CLI's entry and the
 * command's module through static imports and require calls (the bundle initialises those at
 * once; `import()` defers the rest), and the Node built-ins those import.
 */
async function loadedBy(command: string): Promise<{ files: Set<string>; builtinsOfOurs: Set<string> }> {
  const entries = ['src/cli/main.ts', `src/cli/commands/${command}.ts`];
  const result = await build({ entryPoints: entries, bundle: true, write: false, metafile: true, platform: 'node', format: 'esm', outdir: 'out', splitting: true, logLevel: 'silent' });
  const { inputs } = result.metafile;
  const files = new Set<string>();
  const builtinsOfOurs = new Set<string>();
  const pending = [...entries];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (files.has(file)) continue;
    files.add(file);
    for (const edge of inputs[file]?.imports ?? []) {
      if (edge.kind !== 'import-statement' && edge.kind !== 'require-call') continue;
      if (!edge.external) pending.push(edge.path);
      else if (file.startsWith('src/')) builtinsOfOurs.add(edge.path.replace(/^node:/, ''));
    }
  }
  return { files, builtinsOfOurs };
}

const packagesIn = (files: Set<string>): Set<string> =>
  new Set([...files].flatMap((file) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file)?.[1] ?? []));

// zod is needed only when stack.yaml (or a saved plan) is validated afresh: ~4 ms to load, and
// more to build schemas. xstate runs only when apply or down act (they import it then), execa
// and chokidar only for compose, plugins and watching. node:crypto (~4 ms) only for saved plans,
// compose and plugin digests.
describe('what commands load before they run', () => {
  it.each(['status', 'plan', 'logs', 'apply', 'down'])('%s loads no zod, xstate, execa, chokidar or node:crypto up front', async (command) => {
    const { files, builtinsOfOurs } = await loadedBy(command);
    const packages = packagesIn(files);
    // The graph was walked: the CLI parses its arguments with commander, the command reads the state.
    expect(packages.has('commander')).toBe(true);
    expect(files.has('src/state/state-file.ts')).toBe(true);
    for (const heavy of ['zod', 'xstate', 'execa', 'chokidar']) expect([...packages], heavy).not.toContain(heavy);
    // The dashboard's page is a browser bundle (dist/dashboard/) the CLI serves, never loads.
    for (const page of ['preact', 'htm']) expect([...packages], page).not.toContain(page);
    expect([...builtinsOfOurs]).not.toContain('crypto');
  });
});

// What the static walk cannot see: a global such as `performance` loads node:perf_hooks on first
// use (~2 ms). Read off the running commands: Node lists every built-in it loaded.
describe('what reading commands load as they run', () => {
  it('status, plan and logs of a running stack load neither perf_hooks, crypto nor child_process', () => {
    const marker = 80_000 + Math.floor(Math.random() * 9_000);
    const s = tempStack(`version: 1\nservices:\n  a:\n    command: sleep ${marker}\n`);
    const hook = join(s.dir, 'builtins-at-exit.cjs');
    writeFileSync(hook, "process.on('exit', () => process.stderr.write(`BUILTINS ${process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13)).join(' ')}\\n`));\n");
    try {
      expect(stack(['apply', '--yes', '-f', s.file]).code).toBe(0);
      for (const command of [['status', '--json'], ['plan'], ['logs', '-n', '1']]) {
        const result = stack([...command, '--file', s.file], { env: { NODE_OPTIONS: `--require ${hook}` } });
        expect(result.code, result.stderr).toBe(0);
        const loaded = /^BUILTINS (.*)$/m.exec(result.stderr)?.[1]?.split(' ') ?? [];
        expect(loaded, command[0]).toContain('fs'); // the list was read
        for (const heavy of ['perf_hooks', 'crypto', 'child_process']) expect(loaded, `${command[0]} loads ${heavy}`).not.toContain(heavy);
      }
    } finally {
      stack(['down', '--yes', '-f', s.file]);
      s.cleanup();
    }
  });
});
