import { open as openFile, stat } from 'node:fs/promises';
import pc from 'picocolors';
import { readApplied } from '../../api.js';
import { ExitCode, StackError } from '../../errors.js';
import { logFileOf, readLogTail } from '../../providers/process/logs.js';
import { checkServiceNames, open, streams, useColor, type GlobalOptions } from '../context.js';

interface LogsOptions extends GlobalOptions {
  lines?: string;
  follow?: boolean;
}

const PALETTE = ['cyan', 'magenta', 'green', 'yellow', 'blue', 'red'] as const;

export async function run(options: LogsOptions, names: string[]): Promise<number> {
  const lines = Number(options.lines ?? 100);
  if (!Number.isInteger(lines) || lines < 0) throw new StackError(ExitCode.actionFailed, `--lines takes a whole number, got "${options.lines}"`);
  const workspace = await open(options);
  const applied = await readApplied(workspace);
  checkServiceNames(workspace.desired, applied, names);
  const chosen = names.length > 0 ? names : workspace.desired.services.filter((service) => service.enabled).map((service) => service.name);
  const color = useColor(options);
  const c = pc.createColors(color);
  const width = Math.max(0, ...chosen.map((name) => name.length));
  const prefixes = new Map(chosen.map((name, index) => [name, c[PALETTE[index % PALETTE.length] as (typeof PALETTE)[number]](`${name.padEnd(width)} |`)]));
  const write = (name: string, line: string) => streams.stdout.write(`${prefixes.get(name)} ${line}\n`);

  const files = new Map(chosen.map((name) => [name, logFileOf(workspace.paths.dir, name)]));
  const offsets = new Map<string, number>();
  for (const [name, file] of files) {
    const tail = lines > 0 ? await readLogTail(file, lines).catch(() => [] as string[]) : [];
    for (const line of tail) write(name, line);
    offsets.set(name, await sizeOf(file));
  }
  if (!options.follow) return ExitCode.ok;
  return follow(files, offsets, write);
}

async function sizeOf(file: string): Promise<number> {
  return stat(file).then((info) => info.size, () => 0);
}

/** Follows several log files at once until Ctrl+C; a file that shrank was rotated and is read from its start. */
async function follow(files: Map<string, string>, offsets: Map<string, number>, write: (name: string, line: string) => void): Promise<number> {
  const partial = new Map<string, string>();
  let stopped = false;
  const stop = () => {
    stopped = true;
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  while (!stopped) {
    for (const [name, file] of files) {
      const size = await sizeOf(file);
      let offset = offsets.get(name) ?? 0;
      if (size < offset) offset = 0;
      if (size === offset) continue;
      const handle = await openFile(file, 'r');
      try {
        const buffer = Buffer.alloc(size - offset);
        await handle.read(buffer, 0, buffer.length, offset);
        const text = (partial.get(name) ?? '') + buffer.toString('utf8');
        const parts = text.split('\n');
        partial.set(name, parts.pop() ?? '');
        for (const line of parts) write(name, line);
      } finally {
        await handle.close();
      }
      offsets.set(name, size);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return ExitCode.ok;
}
