import type { DesiredService } from '../../../src/model/desired.js';
import type { ExecSpec } from '../../../src/providers/exec/spec.js';
import { desiredService } from '../../support/desired-service.js';
import { makeService } from '../helpers.js';

/** An exec service as the loader makes one, its commands given as argv lists (no shell of stack's). */
export function execService(root: string, name: string, exec: Pick<ExecSpec, 'start' | 'stop' | 'status'> & Partial<ExecSpec>, sensitive: string[] = []): DesiredService {
  const { process: _process, ...base } = makeService(root, ['unused'], { name });
  return desiredService({ ...base, provider: 'exec', sensitive, exec: { shell: false, cwd: root, env: {}, ...exec } });
}

/** `sh -c script` with `arg` as its $1: a pid file's path, say, never spliced into the script. */
export const sh = (script: string, arg = ''): string[] => ['/bin/sh', '-c', script, 'sh', arg];

/** start, stop and status of a daemon (a sleeper, or `daemon` when given) whose pid is kept in `pidFile`. */
export function daemonCommands(pidFile: string, daemon = 'sleep 300 > /dev/null 2>&1') {
  return {
    start: sh(`${daemon} & echo $! > "$1"`, pidFile),
    stop: sh('kill "$(cat "$1")" && rm "$1"', pidFile),
    status: sh('test -f "$1" && kill -0 "$(cat "$1")"', pidFile),
  };
}
