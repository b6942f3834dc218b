import { join } from 'node:path';

/** The controller's API socket in `.stack/` (docs/api.md). */
export const API_SOCKET = 'api.sock';

/** Where stack keeps what it knows about a stack: `.stack/` beside stack.yaml. */
export interface StatePaths {
  dir: string;
  stateFile: string;
  lockFile: string;
  logsDir: string;
  /** The controller's API (docs/api.md). */
  apiSocket: string;
  /** The controller's events, kept (NDJSON; `events.log.1` the older part). */
  eventsFile: string;
}

export function statePaths(root: string): StatePaths {
  const dir = join(root, '.stack');
  return {
    dir,
    stateFile: join(dir, 'state.json'),
    lockFile: join(dir, 'lock'),
    logsDir: join(dir, 'logs'),
    apiSocket: join(dir, API_SOCKET),
    eventsFile: join(dir, 'events.log'),
  };
}
