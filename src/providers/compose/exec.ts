// `stack exec` for a compose service: the command runs in its running container, through the
// project's own compose invocation (project name, file, profiles), on this terminal.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ExitCode, StackError } from '../../model/errors.js';
import type { ExecRequest, OperationContext } from '../../model/provider.js';
import { runAttached } from '../../os/runner.js';
import { execArgv, psArgv, type ComposeCli } from './argv.js';
import { parsePsLines, type Container } from './containers.js';
import { mustRun } from './project.js';
import type { Run } from './cli.js';
import type { ComposeSpec } from './spec.js';

/**
 * The compose service to exec in: the one asked for, else the only one of `spec`'s selection
 * with a running container. exec needs a running container; a StackError (exit 1) says what is
 * missing otherwise.
 */
export function execTarget(name: string, spec: Pick<ComposeSpec, 'services'>, containers: readonly Container[], asked: string | undefined): string {
  const running = [...new Set(containers.filter((container) => !container.oneOff && container.state === 'running').map((container) => container.service))]
    .filter((service) => spec.services.length === 0 || spec.services.includes(service))
    .sort();
  if (asked !== undefined) {
    if (running.includes(asked)) return asked;
    const others = running.length > 0 ? ` (running: ${running.join(', ')})` : '';
    throw new StackError(ExitCode.actionFailed, `${name}: compose service "${asked}" has no running container${others}`);
  }
  const [only] = running;
  if (only !== undefined && running.length === 1) return only;
  if (running.length === 0) {
    throw new StackError(ExitCode.actionFailed, `${name} is not running: stack exec runs the command in its container`, { hint: `start it first: \`stack apply\` or \`stack start ${name}\`` });
  }
  throw new StackError(ExitCode.actionFailed, `${name} runs several compose services (${running.join(', ')}); say which one`, {
    hint: `\`stack exec --compose-service ${running[0]} ${name} -- …\``,
  });
}

/** Runs `request.command` in the service's container and resolves to compose's exit code, which is the command's. */
export async function execInCompose(run: Run, compose: ComposeCli, name: string, spec: ComposeSpec, request: ExecRequest, ctx: OperationContext): Promise<number> {
  const ps = await mustRun(run, name, spec, psArgv(spec.project), ctx, 30_000);
  const target = execTarget(name, spec, parsePsLines(ps.stdout), request.composeService);
  const cwd = path.dirname(spec.file);
  return runAttached(execArgv(compose, spec, target, request.command, request.tty), { cwd: existsSync(cwd) ? cwd : ctx.root, env: spec.env, verbose: ctx.verbose });
}
