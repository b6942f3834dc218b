import { realpathSync } from 'node:fs';
import { escapeControls } from '../../config/issues.js';
import { ExitCode, StackError } from '../../model/errors.js';
import { lingerWarningOf, type BootScope, type InstallOutcome } from '../../api/boot.js';
import { streams, verboseWriter, type GlobalOptions } from '../context.js';

interface ServiceOptions extends GlobalOptions {
  user?: boolean;
  system?: boolean;
  as?: string;
  dryRun?: boolean;
}

/** `stack service install|uninstall|status`: the stack's controller started at boot (systemd) or login (launchd). */
export async function run(options: ServiceOptions, args: string[]): Promise<number> {
  const [action] = args;
  const common = { file: options.file, scope: scopeOf(options), verbose: verboseWriter(options) };
  const boot = await import('../../api/boot.js');
  if (action === 'install') return installed(await boot.installBoot({ ...common, as: options.as, program: program(), dryRun: options.dryRun }), options);
  if (options.dryRun) throw new StackError(ExitCode.actionFailed, `--dry-run is for \`stack service install\``);
  if (action === 'uninstall') {
    const outcome = await boot.uninstallBoot(common);
    if (outcome.removed.length === 0) streams.stdout.write('no boot unit runs this stack: nothing to remove\n');
    for (const job of outcome.removed) streams.stdout.write(`removed ${escapeControls(job.file)}${outcome.offline ? '' : ` (${job.name} stopped and disabled)`}\n`);
    return ExitCode.ok;
  }
  if (action === 'status') {
    const status = await boot.bootStatus(common);
    if (status.jobs.length === 0) streams.stdout.write(`no boot unit runs ${escapeControls(status.stackFile)}\nhint: stack service install\n`);
    for (const job of status.jobs) streams.stdout.write(`${job.name} (${job.kind}, --${job.scope}): ${job.state}\n  ${escapeControls(job.file)}\n`);
    return ExitCode.ok;
  }
  throw new StackError(ExitCode.actionFailed, `stack service takes install, uninstall or status, not "${escapeControls(action ?? '')}"`);
}

function scopeOf(options: ServiceOptions): BootScope | undefined {
  if (options.user && options.system) throw new StackError(ExitCode.actionFailed, '--user and --system cannot be used together');
  return options.user ? 'user' : options.system ? 'system' : undefined;
}

/**
 * How the unit runs stack: this Node binary and this CLI's script, by absolute path. Not the
 * `stack` on PATH: a boot has neither the shell's PATH (nvm, volta) nor its `node` for the shebang.
 */
function program(): string[] {
  const script = process.argv[1];
  if (script === undefined) throw new StackError(ExitCode.actionFailed, 'cannot tell where this stack is installed (no script path)');
  return [process.execPath, realpathSync(script)];
}

function installed(outcome: InstallOutcome, options: ServiceOptions): number {
  const { job } = outcome;
  const out = (line: string) => streams.stdout.write(`${line}\n`);
  const err = (line: string) => streams.stderr.write(`${line}\n`);
  for (const variable of outcome.shellOnly) err(`warning: at boot, ${variable}: your shell sets it, the unit does not (put it in .env beside stack.yaml)`);
  if (options.dryRun) {
    streams.stdout.write(outcome.text);
    err(`(dry run: ${escapeControls(job.file)} not written)`);
    return ExitCode.ok;
  }
  out(`wrote ${escapeControls(job.file)}`);
  if (outcome.started) {
    out(`${job.name} is enabled and started: the stack starts at ${job.kind === 'launchd' ? 'login' : 'boot'}`);
    if (outcome.replacedRunning) out(`note: it was running with the old unit; \`systemctl${job.scope === 'user' ? ' --user' : ''} restart ${job.name}\` uses the new one (and restarts every service)`);
  } else if (outcome.offline) {
    out(`systemd is not running here (it is not the init system), so nothing was enabled. Where systemd runs, enable and start it with:`);
    for (const command of outcome.commands) out(`  ${command}`);
  }
  if (outcome.lingerOffFor !== undefined) {
    const { detail, hint } = lingerWarningOf(job.name, outcome.lingerOffFor);
    err(`warning: ${detail}\nhint: ${hint}`);
  }
  return ExitCode.ok;
}
