import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import path from 'node:path';
import { ExitCode, StackError } from '../model/errors.js';
import { formatIssue, issuesToJson } from '../config/issues.js';

interface ErrorStreams {
  json: boolean;
  stderr: { write(text: string): unknown };
}

/** Prints an error for a person (or as JSON under --json) and returns the exit code. */
export function reportError(error: unknown, streams: ErrorStreams): number {
  const debug = process.env.STACK_DEBUG === '1';
  if (!(error instanceof StackError)) {
    const message = error instanceof Error ? error.message : String(error);
    streams.stderr.write(`stack: internal error: ${message}\n`);
    if (debug && error instanceof Error && error.stack) streams.stderr.write(`${sourceMapped(error.stack)}\n`);
    else streams.stderr.write('(set STACK_DEBUG=1 to see where)\n');
    return ExitCode.actionFailed;
  }
  if (streams.json) {
    streams.stderr.write(`${JSON.stringify({ error: errorToJson(error) }, null, 2)}\n`);
  } else {
    streams.stderr.write(formatError(error));
  }
  if (debug && error.stack) streams.stderr.write(`${sourceMapped(error.stack)}\n`);
  return error.code;
}

export function formatError(error: StackError): string {
  const lines = [`error: ${error.message}`];
  for (const issue of error.issues) lines.push(`  ${formatIssue(issue)}`);
  if (error.hint) lines.push(`hint: ${error.hint}`);
  return `${lines.join('\n')}\n`;
}

export function errorToJson(error: StackError): Record<string, unknown> {
  return {
    code: error.code,
    message: error.message,
    ...(error.position ? { file: error.position.file, line: error.position.line, column: error.position.column } : {}),
    ...(error.hint ? { hint: error.hint } : {}),
    ...(error.issues.length > 0 ? { issues: issuesToJson(error.issues) } : {}),
  };
}

/**
 * A stack trace with positions in the minified bundle (dist/cli.cjs:1:2345) turned into the
 * TypeScript they came from (src/cli/main.ts:42:7), through the bundle's source map. Only for
 * STACK_DEBUG=1: Node applies source maps to its own module loader's code, not to a script
 * run through node:vm, which is how bin/stack.cjs runs the bundle.
 */
export function sourceMapped(stack: string): string {
  const maps = new Map<string, SourceMap | undefined>();
  const mapOf = (file: string): SourceMap | undefined => {
    if (!maps.has(file)) {
      let map: SourceMap | undefined;
      try {
        map = new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8')) as ConstructorParameters<typeof SourceMap>[0]);
      } catch {
        map = undefined;
      }
      maps.set(file, map);
    }
    return maps.get(file);
  };
  return stack.replace(/(\/[^\s():]+\.cjs):(\d+):(\d+)/g, (whole, file: string, line: string, column: string) => {
    const entry = mapOf(file)?.findEntry(Number(line) - 1, Number(column) - 1) as { originalSource?: string; originalLine?: number; originalColumn?: number } | undefined;
    if (entry?.originalSource === undefined || entry.originalLine === undefined || entry.originalColumn === undefined) return whole;
    const source = path.resolve(path.dirname(file), entry.originalSource);
    return `${source}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
  });
}

