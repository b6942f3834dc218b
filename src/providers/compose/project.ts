// Runs compose commands for one project and shapes their failures into OperationErrors.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ComposeSpec } from './spec.js';
import type { AppliedService } from '../../model/observed.js';
import { formatCommand, type CommandResult } from '../../os/runner.js';
import { OperationError, type OperationContext } from '../../model/provider.js';
import { composeProjectName, labelledArgv, PROJECT_LABEL, SERVICE_LABEL } from './argv.js';
import type { Run } from './cli.js';
import { composeSpecFromFields } from './fields.js';

/** Lines of a failing command's stderr quoted in its error. */
const STDERR_TAIL = 12;

export function recordedSpec(name: string, applied: AppliedService): ComposeSpec {
  const spec = composeSpecFromFields(applied.fields);
  if (!spec) throw new OperationError(name, `${name}: the state file records no compose project for it`);
  return spec;
}

/** Runs one docker command for `spec`'s project (cwd: the compose file's folder, env: compose.env). */
export async function runFor(
  run: Run,
  name: string,
  spec: ComposeSpec,
  argv: readonly string[],
  ctx: OperationContext,
  timeoutMs?: number,
): Promise<CommandResult> {
  const cwd = path.dirname(spec.file);
  return run(argv, { cwd: existsSync(cwd) ? cwd : ctx.root, env: spec.env, signal: ctx.signal, verbose: ctx.verbose, timeoutMs });
}

/** Like runFor, but a non-zero exit is an OperationError quoting the command and its stderr. */
export async function mustRun(
  run: Run,
  name: string,
  spec: ComposeSpec,
  argv: readonly string[],
  ctx: OperationContext,
  timeoutMs?: number,
): Promise<CommandResult> {
  return succeeded(name, argv, await runFor(run, name, spec, argv, ctx, timeoutMs), ctx);
}

/** The result of a command that exited 0; otherwise an OperationError quoting the command and its stderr. */
export function succeeded(name: string, argv: readonly string[], result: CommandResult, ctx: Pick<OperationContext, 'signal' | 'redact'>): CommandResult {
  if (result.exitCode === 0) return result;
  ctx.signal.throwIfAborted();
  const why = result.spawnError ?? (result.timedOut ? 'timed out' : `exit ${result.exitCode}`);
  const tail = result.stderr.split('\n').filter((line) => line.trim()).slice(-STDERR_TAIL).map((line) => ctx.redact(line));
  const quoted = tail.length > 0 ? `\n  ${tail.join('\n  ')}` : '';
  throw new OperationError(name, `${name}: \`${formatCommand(argv)}\` failed (${why})${quoted}`, { exitCode: result.exitCode, signal: result.signal, timedOut: result.timedOut, logTail: tail });
}

/**
 * `down` for a project whose compose file is gone (compose v1 cannot run without it): its
 * containers, networks and, when asked, volumes are removed by their project label.
 */
export async function removeByLabel(run: Run, name: string, spec: ComposeSpec, ctx: OperationContext, volumes: boolean): Promise<void> {
  const ids = async (argv: string[]): Promise<string[]> =>
    (await mustRun(run, name, spec, argv, ctx)).stdout.split('\n').map((line) => line.trim()).filter(Boolean);
  const containers = await ids(['docker', 'ps', '-aq', '--filter', `label=${PROJECT_LABEL}=${composeProjectName(spec.project)}`]);
  if (containers.length > 0) await mustRun(run, name, spec, ['docker', 'rm', '-f', ...(volumes ? ['-v'] : []), ...containers], ctx);
  const networks = await ids(labelledArgv('network', spec.project));
  if (networks.length > 0) await mustRun(run, name, spec, ['docker', 'network', 'rm', ...networks], ctx);
  if (!volumes) return;
  const named = await ids(labelledArgv('volume', spec.project));
  if (named.length > 0) await mustRun(run, name, spec, ['docker', 'volume', 'rm', ...named], ctx);
}

/**
 * The compose services of the project that have a container now, other than `selected`: what
 * other stack services of the same project still run (`docker ps -a`, by compose's labels).
 */
export async function otherServicesOf(run: Run, name: string, spec: ComposeSpec, ctx: OperationContext): Promise<string[]> {
  const argv = ['docker', 'ps', '-a', '--filter', `label=${PROJECT_LABEL}=${composeProjectName(spec.project)}`, '--format', `{{.Label "${SERVICE_LABEL}"}}`];
  const services = (await mustRun(run, name, spec, argv, ctx)).stdout.split('\n').map((line) => line.trim()).filter(Boolean);
  return [...new Set(services)].filter((service) => !spec.services.includes(service));
}
