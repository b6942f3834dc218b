import { join } from 'node:path';

/** Where stack keeps what it knows about a stack: `.stack/` beside stack.yaml. */
export interface StatePaths {
  dir: string;
  stateFile: string;
  lockFile: string;
  logsDir: string;
}

export function statePaths(root: string): StatePaths {
  const dir = join(root, '.stack');
  return {
    dir,
    stateFile: join(dir, 'state.json'),
    lockFile: join(dir, 'lock'),
    logsDir: join(dir, 'logs'),
  };
}
