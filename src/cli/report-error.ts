import { ExitCode, StackError, type ConfigIssue } from '../errors.js';

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
    if (debug && error instanceof Error && error.stack) streams.stderr.write(`${error.stack}\n`);
    else streams.stderr.write('(set STACK_DEBUG=1 to see where)\n');
    return ExitCode.actionFailed;
  }
  if (streams.json) {
    streams.stderr.write(`${JSON.stringify({ error: errorToJson(error) }, null, 2)}\n`);
  } else {
    streams.stderr.write(formatError(error));
  }
  if (debug && error.stack) streams.stderr.write(`${error.stack}\n`);
  return error.code;
}

export function formatError(error: StackError): string {
  const lines = [`error: ${error.message}`];
  for (const issue of error.issues) lines.push(`  ${formatIssue(issue)}`);
  if (error.hint) lines.push(`hint: ${error.hint}`);
  return `${lines.join('\n')}\n`;
}

export function formatIssue(issue: ConfigIssue): string {
  const where = issue.position ? `${issue.position.file}:${issue.position.line}:${issue.position.column}: ` : '';
  const path = issue.path ? `${issue.path}: ` : '';
  const hint = issue.hint ? ` (${issue.hint})` : '';
  return `${where}${path}${issue.message}${hint}`;
}

export function errorToJson(error: StackError): Record<string, unknown> {
  return {
    code: error.code,
    message: error.message,
    ...(error.position ? { file: error.position.file, line: error.position.line, column: error.position.column } : {}),
    ...(error.hint ? { hint: error.hint } : {}),
    ...(error.issues.length > 0
      ? {
          issues: error.issues.map((issue) => ({
            message: issue.message,
            path: issue.path,
            ...(issue.position ? { file: issue.position.file, line: issue.position.line, column: issue.position.column } : {}),
            ...(issue.hint ? { hint: issue.hint } : {}),
          })),
        }
      : {}),
  };
}
