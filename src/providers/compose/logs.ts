// `stack logs` for compose services: `docker compose logs`, each line handed to the caller.
import path from 'node:path';
import type { ComposeSpec } from './spec.js';
import { ExitCode, StackError } from '../../model/errors.js';
import { runCommand, streamCommand } from '../../os/runner.js';
import { logsArgv } from './argv.js';
import { checkEngine, detectComposeCli } from './cli.js';

export interface ComposeLogsOptions {
  follow: boolean;
  /** Lines from the end of each container's log. */
  lines: number;
  signal: AbortSignal;
  verbose?: ((line: string) => void) | undefined;
  write: (service: string, line: string) => void;
}

/**
 * Prints (or, with `follow`, streams until `signal` aborts) the logs of several compose
 * services at once. An unavailable docker is a StackError (exit 6).
 */
export async function composeLogs(specs: ReadonlyMap<string, ComposeSpec>, options: ComposeLogsOptions): Promise<void> {
  if (specs.size === 0) return;
  const probe = { verbose: options.verbose, signal: options.signal };
  await checkEngine(runCommand, probe);
  const cli = await detectComposeCli(runCommand, probe);
  const failures: string[] = [];
  await Promise.all(
    [...specs].map(async ([name, spec]) => {
      // Infinity: every line docker kept (no --tail).
      const argv = logsArgv(cli, spec, { follow: options.follow, tail: Number.isFinite(options.lines) ? options.lines : undefined });
      const result = await streamCommand(argv, {
        cwd: path.dirname(spec.file),
        env: spec.env,
        signal: options.signal,
        verbose: options.verbose,
        onLine: (line) => options.write(name, line),
      });
      if (result.exitCode !== 0 && !options.signal.aborted) failures.push(`${name} (${result.spawnError ?? `exit ${result.exitCode}`})`);
    }),
  );
  if (failures.length > 0) throw new StackError(ExitCode.actionFailed, `docker compose logs failed for ${failures.join(', ')}`);
}
