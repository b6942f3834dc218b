import { join } from 'node:path';

/** Where stack keeps what it knows about a stack: `.stack/` beside stack.yaml. */
export interface StatePaths {
  dir: string;
  stateFile: string;
  lockFile: string;
  logsDir: string;
  /** The running controller's API (docs/api.md). */
  apiSocket: string;
}

export function statePaths(root: string): StatePaths {
  const dir = join(root, '.stack');
  return {
    dir,
    stateFile: join(dir, 'state.json'),
    lockFile: join(dir, 'lock'),
    logsDir: join(dir, 'logs'),
    apiSocket: join(dir, 'api.sock'),
  };
}
