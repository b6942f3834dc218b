import { findStack, loadStack } from '../../api.js';
import { PERMISSIONS, type Permission } from '../../api/mcp/tools.js';
import { ExitCode, StackError } from '../../model/errors.js';
import { streams, type GlobalOptions } from '../context.js';

declare const STACK_VERSION: string;

interface McpOptions extends GlobalOptions {
  allow?: string;
}

/**
 * `stack mcp [--allow edit,apply]`: the stack as tools for an AI agent, an MCP server over stdio
 * (docs/mcp.md), until the client closes its stdin, Ctrl+C or SIGTERM (exit 0). Read-only tools
 * always; the verbs with `--allow edit`, apply with `--allow apply`, or as `mcp.allow` of
 * stack.yaml says when `--allow` is not given (read once, now: an edit of the file meanwhile
 * grants nothing until the server starts again). stdout carries the protocol alone: anything for
 * people goes to stderr.
 */
export async function run(options: McpOptions): Promise<number> {
  // Resolved once, as the dashboard: a file briefly gone must not send a verb to a parent folder's stack.
  const file = findStack({ file: options.file });
  const { allow, from } = await permissionsOf(options.allow, file);
  // Listened for before the SDK loads (a second): a SIGTERM meanwhile still ends with exit 0.
  let end = () => {};
  const ended = new Promise<void>((resolve) => {
    end = resolve;
    process.stdin.once('end', resolve);
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  const { createMcpServer } = await import('../../api/mcp/server.js');
  const { StdioServerTransport } = await import('@modelcontextprotocol/sdk/server/stdio.js');
  const { server, tools } = createMcpServer({ file, stack: [process.execPath, process.argv[1] as string], allow, version: STACK_VERSION });
  const transport = new StdioServerTransport();
  transport.onclose = end;
  // What the transport gives up on (a message over the SDK's 10 MiB closes it) is said, not silent.
  server.server.onerror = (error) => streams.stderr.write(`stack mcp: ${transportProblem(error)}\n`);
  await server.connect(transport);
  streams.stderr.write(`stack mcp: serving ${file} over stdio (${allow.size === 0 ? 'read-only: --allow edit,apply permits changes' : `allowed: ${[...allow].join(', ')}, by ${from}`})\n`);
  try {
    await ended;
    return ExitCode.ok;
  } finally {
    await tools.close();
    await server.close().catch(() => undefined);
  }
}

/** What the agent may change: `--allow` when given, else `mcp.allow` of stack.yaml (none when it does not load). */
async function permissionsOf(text: string | undefined, file: string): Promise<{ allow: Set<Permission>; from: string }> {
  if (text !== undefined) return { allow: parseAllow(text), from: '--allow' };
  const desired = await loadStack({ file }).catch(() => undefined);
  return { allow: new Set(desired?.mcpAllow ?? []), from: 'mcp.allow in stack.yaml' };
}

/**
 * A problem of the transport in one line: a line on stdin that is not JSON, or JSON that is not a
 * JSON-RPC message (the SDK's schema error, dozens of lines), is skipped and said as such.
 */
function transportProblem(error: Error): string {
  if (error instanceof SyntaxError) return `skipped a line on stdin that is not JSON (${error.message})`;
  if (error.name === 'ZodError') return 'skipped a line on stdin that is not a JSON-RPC message';
  return error.message.split('\n')[0] ?? '';
}

function parseAllow(text: string): Set<Permission> {
  if (text.trim() === 'none') return new Set();
  const words = text.split(',').map((word) => word.trim()).filter((word) => word !== '');
  const unknown = words.filter((word) => !PERMISSIONS.includes(word as Permission));
  if (unknown.length > 0) throw new StackError(ExitCode.actionFailed, `--allow takes ${PERMISSIONS.join(', ')} (comma-separated) or none, not ${unknown.map((word) => JSON.stringify(word)).join(', ')}`);
  return new Set(words as Permission[]);
}
