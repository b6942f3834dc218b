import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

const DIST = join(import.meta.dirname, '..', '..', 'dist');

/** Every chunk a module loads before it runs (static imports only, transitively). */
function staticGraph(entry: string): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    for (const match of readFileSync(file, 'utf8').matchAll(/from\s*"(\.\/[^"]+)"/g)) {
      const next = join(dirname(file), match[1] as string);
      if (!seen.has(next)) {
        seen.add(next);
        visit(next);
      }
    }
  };
  visit(entry);
  return [entry, ...seen];
}

const chunk = (prefix: string) => {
  const name = readdirSync(join(DIST, 'chunks')).find((file) => file.startsWith(`${prefix}-`) && file.endsWith('.js'));
  if (!name) throw new Error(`no ${prefix} chunk in dist/chunks`);
  return join(DIST, 'chunks', name);
};

// Strings that only the bundled code of each package contains.
const markers = { xstate: 'xstate.init', execa: 'execa', chokidar: 'chokidar' };
const loads = (files: string[], marker: string) => files.filter((file) => readFileSync(file, 'utf8').includes(marker)).map((file) => relative(DIST, file));

describe('the bundled CLI loads commands lazily', () => {
  it('`stack --version` loads neither execa, xstate nor chokidar', () => {
    const graph = staticGraph(join(DIST, 'cli.js'));
    for (const marker of Object.values(markers)) expect(loads(graph, marker)).toEqual([]);
  });

  it('`stack validate` loads neither execa, xstate nor chokidar', () => {
    const graph = staticGraph(chunk('validate'));
    for (const marker of Object.values(markers)) expect(loads(graph, marker)).toEqual([]);
  });

  it('the markers are real: the apply path does load xstate and execa', () => {
    const all = readdirSync(join(DIST, 'chunks')).filter((file) => file.endsWith('.js')).map((file) => join(DIST, 'chunks', file));
    expect(loads(all, markers.xstate).length).toBeGreaterThan(0);
    expect(loads(all, markers.execa).length).toBeGreaterThan(0);
  });
});
