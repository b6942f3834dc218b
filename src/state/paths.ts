import { join } from 'node:path';

/** Where stack keeps what it knows about a stack: `.stack/` beside stack.yaml. */
export interface StatePaths {
  dir: string;
  stateFile: string;
  lockFile: string;
  logsDir: string;
  /** What loading stack.yaml learnt, to load the same text faster (src/config/read-stack.ts). */
  loadCacheFile: string;
}

export function statePaths(root: string): StatePaths {
  const dir = join(root, '.stack');
  return {
    dir,
    stateFile: join(dir, 'state.json'),
    lockFile: join(dir, 'lock'),
    logsDir: join(dir, 'logs'),
    loadCacheFile: join(dir, 'parse-cache.json'),
  };
}
