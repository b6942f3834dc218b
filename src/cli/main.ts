// The entry point: only commander and the command table load up front; every command's
// module is imported when it runs, so `stack --version` stays close to `node -e 0`.
import { Command, CommanderError, Option } from 'commander';
import { ExitCode } from '../model/errors.js';
import { reportError } from './report-error.js';
import { detachDeadTerminal, hangup, standardTerminals } from './hangup.js';
import { checkExecArgv, commandIndex, followForLogs, unknownAfterHelp } from './argv.js';
import type { GlobalOptions } from './context.js';

// Replaced by the bundler with package.json's version (scripts/build.mjs).
declare const STACK_VERSION: string;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each command declares its own options
type Loader = () => Promise<{ run: (options: any, args: string[], name: string) => Promise<number> }>;

const program = new Command('stack')
  .description('Declarative service reconciler: one stack.yaml, plan, apply, watch.')
  .version(STACK_VERSION, '-V, --version')
  .option('-f, --file <path>', 'stack.yaml to use (default: ./stack.yaml or a parent folder; or $STACK_FILE)')
  .option('--verbose', 'print every external command exactly as run')
  .addOption(new Option('--no-color', 'never colour output (also NO_COLOR)'))
  .showHelpAfterError('(run `stack --help` for usage)')
  .configureHelp({ sortSubcommands: false, showGlobalOptions: true })
  .exitOverride();

function command(name: string, description: string, load: Loader): Command {
  return program
    .command(name)
    .description(description)
    .action(async (...received: unknown[]) => {
      const cmd = received.at(-1) as Command;
      const args = received.slice(0, -2).flatMap((arg) => (Array.isArray(arg) ? arg : arg === undefined ? [] : [String(arg)]));
      const options = cmd.optsWithGlobals() as GlobalOptions & Record<string, unknown>;
      const module = await load();
      process.exitCode = await module.run(options, args, cmd.name());
    });
}

command('init', 'create a starter stack.yaml in this folder', () => import('./commands/init.js'))
  .option('--force', 'overwrite an existing stack.yaml');
command('validate', 'check stack.yaml and report every problem with its line and column', () => import('./commands/validate.js'))
  .option('--json', 'machine-readable output');
command('plan', 'show what apply would do, in order', () => import('./commands/plan.js'))
  .option('--json', 'machine-readable output (formatVersion 1)')
  .option('--detailed-exitcode', 'exit 0 when converged, 2 when changes are pending, 1 on error')
  .option('-t, --target <service...>', 'plan only these services (and what they need)')
  .option('--format <format>', 'text (default) or markdown (for pull requests)')
  .option('-o, --out <file>', 'save the plan, with what it was computed from, for `stack apply <file>`');
command('apply', 'carry out the plan (or exactly a plan saved with `stack plan -o`)', () => import('./commands/apply.js'))
  .argument('[planfile]')
  .option('-y, --yes', 'do not ask for confirmation')
  .option('--dry-run', 'print the plan only')
  .option('--json', 'print the plan and then the outcome as JSON')
  .option('-t, --target <service...>', 'apply only these services (and what they need)')
  .option('-p, --parallel <n>', 'services moving at once', '4')
  .option('--wait-lock', 'wait for another stack process to finish instead of failing')
  .option('--remove-volumes', 'when a compose service is uninstalled, delete its volumes too (asks first)');
command('status', 'show every service: desired and observed state, pid, uptime, ports', () => import('./commands/status.js'))
  .argument('[service...]')
  .option('--json', 'machine-readable output (formatVersion 1)')
  .option('--probe', "run the services' health (else ready) probes now, instead of showing the last recorded result")
  .addOption(new Option('-o, --output <format>', 'wide: CPU, memory and the command line too (without a controller, CPU is read over 200 ms)').choices(['wide']));
command('logs', "print services' logs", () => import('./commands/logs.js'))
  .argument('[service...]')
  .option('-n, --lines <n>', 'lines from the end of each log, or "all" (default 100; all with --since)')
  .option('-f, --follow', 'keep printing new lines (after `logs`, -f is --follow: give the stack file with --file)')
  .option('--since <when>', 'only lines read since then: a duration ago (10m, 2h, 1d) or a time (ISO 8601)')
  .option('--until <when>', 'only lines read until then: a duration ago or a time')
  .option('--grep <regex>', "only lines whose text matches (RE2's syntax: linear time)")
  .option('--stderr', 'only what the services wrote to stderr')
  .option('-t, --timestamps', 'show when stack read each line')
  .option('--json', 'one JSON object a line (NDJSON): time, service, stream, line');
command('down', 'stop every service (or the named ones and their dependents), whatever stack.yaml says', () => import('./commands/down.js'))
  .argument('[service...]')
  .option('-y, --yes', 'do not ask for confirmation')
  .option('--json', 'print the plan and then the outcome as JSON')
  .option('-p, --parallel <n>', 'services moving at once', '4')
  .option('--wait-lock', 'wait for another stack process to finish instead of failing');
command('events', "follow what the running controller sees and does: state changes, probes, restarts, reconciles", () => import('./commands/events.js'))
  .argument('[service...]')
  .option('--since <when>', 'first the events kept since then: a duration ago (10m, 2h) or a time (ISO 8601); without a controller, what the last one kept')
  .option('--no-follow', 'print the kept events and exit')
  .option('--json', 'each event as one JSON line (NDJSON, formatVersion 1)');
command('top', 'a full-screen live view of the services (over a running controller, or observed every second)', () => import('./commands/top.js'))
  .option('--once', 'print one frame and exit (no terminal needed)');
command('dashboard', 'serve the stack as a local web page (live table, logs, graph, plan, history); prints its one-time link', () => import('./commands/dashboard.js'))
  .option('--port <n>', 'listen on this port (default: a free one)')
  .option('--listen <addr>', 'listen on this address instead of 127.0.0.1 (reachable from elsewhere)')
  .option('--open', 'open the link in the browser');
command('mcp', 'serve the stack to an AI agent as MCP tools over stdio (read-only unless --allow edit,apply or mcp.allow in stack.yaml)', () => import('./commands/mcp.js'))
  .option('--allow <permissions>', 'also allow changes: edit (the verbs: they edit stack.yaml and carry it out), apply (a plan shown), edit,apply, or none; replaces mcp.allow of stack.yaml');
command('watch', 'reconcile now, then keep reconciling: file edits, crashes, drift', () => import('./commands/watch.js'))
  .option('--interval <duration>', 'reconcile at least this often, to correct drift', '5s')
  .option('-p, --parallel <n>', 'services moving at once', '4');
command('up', 'apply, then supervise in the foreground with every log streamed; Ctrl+C stops it all', () => import('./commands/up.js'))
  .option('-d, --detach', 'run the controller in the background and return once the stack converged')
  .option('--interval <duration>', 'reconcile at least this often, to correct drift', '5s')
  .option('-p, --parallel <n>', 'services moving at once', '4');
command('restart', 'stop then start services now, or every running one (clears a crash-loop give-up); stack.yaml is not changed', () => import('./commands/restart.js'))
  .argument('[service...]', 'none: every enabled service that runs (or crashed)')
  .option('--rolling', 'one service at a time, dependencies first: each ready again before the next stops')
  .option('-p, --parallel <n>', 'services moving at once', '4')
  .option('--wait-lock', 'wait for another stack process to finish instead of failing');
command('signal', "send a signal to running services (their process groups; a compose service's containers), e.g. `stack signal nginx HUP`", () => import('./commands/signal.js'))
  .argument('<service...>', 'one or more services, then the signal: HUP, SIGHUP or 1 (case does not matter)')
  .usage('[options] <service...> <signal>');
command('run', "run a plugin's script with the service's environment", () => import('./commands/run.js'))
  .argument('<service>')
  .argument('<script>')
  .argument('[args...]')
  .allowUnknownOption();
command('exec', "run a command in a service's environment (env, env files, secrets, cwd; a compose service's container); its exit code is stack's", () => import('./commands/exec.js'))
  .argument('<service>')
  .argument('<command...>', 'the command and its arguments, after `--`: run as given, without a shell')
  .usage('[options] <service> -- <command> [args...]')
  .option('--compose-service <name>', 'the compose service whose container runs it, when the project runs several');
command('add', 'add a plugin service (a folder or git-url[#ref]) to stack.yaml, then apply it', () => import('./commands/add.js'))
  .argument('<source>')
  .option('--name <name>', 'the service name (default: the plugin name)')
  .option('--stopped', 'install it but do not start it');
command('remove', 'disable a plugin service and apply (stop, uninstall); --purge also deletes its entry', () => import('./commands/remove.js'))
  .argument('<service>')
  .option('--purge', 'delete the entry from stack.yaml too');
command('check', 'check this machine can run the stack: executables, docker, plugins, variables, ports', () => import('./commands/check.js'))
  .option('--json', 'machine-readable output');
for (const [verb, description] of [
  ['start', 'set `state: running` in stack.yaml for these services, then apply them'],
  ['stop', 'set `state: stopped` in stack.yaml for these services, then apply them'],
  ['enable', 'set `enabled: true` in stack.yaml for these services, then apply them'],
  ['disable', 'set `enabled: false` in stack.yaml for these services, then apply them (stop, uninstall)'],
] as const) {
  command(verb, description, () => import('./commands/edit-verb.js'))
    .argument('<service...>')
    .option('--no-apply', 'only edit stack.yaml')
    .option('--commit', 'commit stack.yaml (alone) to git afterwards')
    .option('-m, --message <text>', 'the commit message (default: "stack: <verb> <services>")')
    .option('--force', 'commit even though stack.yaml already had uncommitted changes')
    .option('-y, --yes', 'accepted and ignored: the verb is the confirmation')
    .option('-p, --parallel <n>', 'services moving at once', '4')
    .option('--wait-lock', 'wait for another stack process to finish instead of failing');
}
command('update', "pull newer images of compose services and move git plugins to their ref's newest commit (the pin in stack.yaml); shows the plan, applies once confirmed", () => import('./commands/update.js'))
  .argument('[service...]', 'none: every service')
  .option('--dry-run', 'only say what is newer: pull nothing, change nothing')
  .option('-y, --yes', 'do not ask for confirmation')
  .option('--commit', 'commit stack.yaml (alone) to git once the pins moved')
  .option('-m, --message <text>', 'the commit message (default: "stack: update <service> to <commit>")')
  .option('--force', 'commit even though stack.yaml already had uncommitted changes')
  .option('-p, --parallel <n>', 'services moving at once', '4')
  .option('--wait-lock', 'wait for another stack process to finish instead of failing');
command('diff', 'what stack.yaml at <rev> (default HEAD) wants, against the working file (or <rev2>); no probing', () => import('./commands/diff.js'))
  .argument('[rev]')
  .argument('[rev2]')
  .option('--json', 'machine-readable output')
  .option('--format <format>', 'text (default) or markdown');
command('sync', 'follow a git remote: fetch, fast-forward only, reconcile when the stack changed', () => import('./commands/sync.js'))
  .option('--remote <name>', 'the remote to follow', 'origin')
  .option('--branch <name>', 'the branch to follow', 'main')
  .option('--interval <duration>', 'how often to fetch', '60s')
  .option('--once', 'fetch and reconcile once, then exit (for cron)');
command('service', 'start the stack at boot: install, uninstall or show the systemd unit (launchd on macOS) running `stack watch`', () => import('./commands/service.js'))
  .argument('<action>', 'install, uninstall or status')
  .option('--user', "the user's systemd manager: at login, or at boot with lingering (default unless root)")
  .option('--system', "the system's manager, at boot (default as root; writes /etc/systemd/system)")
  .option('--as <user>', 'the account a --system unit runs as (default: who ran sudo, else you)')
  .option('--dry-run', 'print the unit without writing it');
command('schema', 'print the JSON Schema of stack.yaml (for editors)', () => import('./commands/schema.js'));

// Commands that start, stop or change services: cut short, they would leave runs unrecorded
// and the lock behind, and report success.
const ACTING = new Set(['apply', 'down', 'watch', 'up', 'restart', 'add', 'remove', 'sync', 'start', 'stop', 'enable', 'disable', 'update']);

/**
 * A closed pipe (`stack logs -f | head`) ends a command that only reads quietly, as it does for
 * other tools. One that acts (`stack apply --yes | head -1`) finishes what it began, without
 * output, records it and exits with its own code; for `stack up`, whose output is the point, a
 * closed output is a closed terminal. A terminal that is gone (EIO) is a hang-up, as SIGHUP is.
 */
function onOutputClosed(stream: NodeJS.WriteStream, command: string | undefined): void {
  let closed = false;
  stream.on('error', (error: NodeJS.ErrnoException) => {
    // Later writes fail too (the stream is destroyed), and nothing reaches a terminal that is gone.
    if (closed || hangup.hungUp) return;
    closed = true;
    if (error.code === 'EIO' && stream.isTTY) return hungUp();
    if (error.code !== 'EPIPE') {
      if (stream === process.stdout) process.stderr.write(`stack: cannot write the output: ${error.message}\n`);
      process.exit(1);
    }
    if (!ACTING.has(command ?? '')) process.exit(0);
    if (command === 'up') hungUp();
  });
}

/** A command listening (`up`, `watch`, an apply in progress) winds down as on Ctrl+C; otherwise stack exits 129 at once. */
function hungUp(): void {
  if (!hangup.fire()) process.exit(ExitCode.hangup);
}

async function main(): Promise<void> {
  const command = process.argv.slice(2).find((arg) => program.commands.some((each) => each.name() === arg));
  onOutputClosed(process.stdout, command);
  onOutputClosed(process.stderr, command);
  process.on('SIGHUP', hungUp);
  const terminals = standardTerminals();
  process.on('exit', () => detachDeadTerminal(terminals));
  try {
    const names = program.commands.map((each) => each.name());
    const argv = unknownAfterHelp(followForLogs(process.argv), names);
    const word = argv[commandIndex(argv)];
    if (word !== undefined && word !== 'help' && !names.includes(word)) {
      // Said here rather than by commander, whose guess would offer `stop` for `top`.
      const { suggestCommand, unknownCommandMessage } = await import('./suggest-command.js');
      process.stderr.write(`${unknownCommandMessage(word, suggestCommand(word, names, ACTING))}\n`);
      process.exitCode = ExitCode.actionFailed;
      return;
    }
    checkExecArgv(argv);
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and --version end here too, with exit code 0.
      process.exitCode = error.exitCode === 0 ? ExitCode.ok : ExitCode.actionFailed;
      return;
    }
    process.exitCode = reportError(error, { json: process.argv.includes('--json'), stderr: process.stderr });
  }
}

void main();
