// `stack exec` for a process service (and an exec service): the command as the service's own
// start would run (its user too), on this terminal, but no run of the service.
import type { DesiredService } from '../../model/desired.js';
import { ExitCode, StackError } from '../../model/errors.js';
import type { ExecRequest, OperationContext, OperationError } from '../../model/provider.js';
import { runAttached, SpawnError } from '../../os/runner.js';
import { withoutMarker } from '../../state/service-marker.js';
import { assertCwd, describeSpawnError, processSpecOf } from './start.js';
import { accountToRunAs } from './accounts.js';
import { isCaller, loginEnv, type Account } from '../../os/accounts.js';

/** Where a service's commands run: its folder and the environment stack.yaml and its env files give it. */
export interface ExecPlace {
  cwd: string;
  env: Record<string, string>;
  /** `user:` and `group:` of a process service: the command runs as that account too. */
  user?: string;
  group?: string;
}

/** `stack exec` in a process service: its env (env files, interpolation, secrets) and cwd, as `start` computes them. */
export function execInProcess(service: DesiredService, request: ExecRequest, ctx: Pick<OperationContext, 'verbose'>): Promise<number> {
  return execAt(service.name, processSpecOf(service), request.command, ctx);
}

/**
 * Runs `command` attached, as given (no shell, whatever the service's `shell:`), with the
 * caller's environment under the service's, and without the marker that makes a process a run
 * of the service (state/service-marker.ts): `down` and adoption never take it for one. A program
 * that cannot start is exit 127 (not found) or 126 (not executable), as a shell says it.
 */
export async function execAt(name: string, place: ExecPlace, command: readonly string[], ctx: Pick<OperationContext, 'verbose'>): Promise<number> {
  let account: Account | undefined;
  try {
    account = place.user === undefined ? undefined : accountToRunAs(name, place);
  } catch (error) {
    throw new StackError(ExitCode.actionFailed, (error as Error).message);
  }
  const env = withoutMarker({ ...process.env, ...(account ? loginEnv(account) : {}), ...place.env });
  const identity = account && !isCaller(account) ? account : undefined;
  try {
    return await runAttached(command, { cwd: place.cwd, env, extendEnv: false, identity, verbose: ctx.verbose });
  } catch (error) {
    if (!(error instanceof SpawnError)) throw error;
    try {
      await assertCwd(name, place.cwd);
    } catch (cwdError) {
      throw new StackError(ExitCode.actionFailed, (cwdError as OperationError).message);
    }
    const { message } = describeSpawnError(name, error);
    throw new StackError(error.code === 'ENOENT' ? ExitCode.commandNotFound : error.code === 'EACCES' ? ExitCode.commandNotExecutable : ExitCode.actionFailed, message);
  }
}
