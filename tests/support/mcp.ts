// `stack mcp` spoken to by the MCP SDK's own client over stdio, as an agent's host would.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { STACK_BIN } from './stack-cli.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are JSON, checked by the tests' expectations
export type Json = any;

export interface McpAnswer {
  isError: boolean;
  body: Json;
  text: string;
}

/**
 * `stack mcp [args]` in `dir` (with `env` added), connected; closed with the others in `clients`.
 * Every answer's text, structured content and resource text is kept in `seen`.
 */
export async function connectMcp(clients: Client[], dir: string, options: { args?: string[]; env?: Record<string, string> } = {}) {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [STACK_BIN, 'mcp', ...(options.args ?? [])],
    cwd: dir,
    stderr: 'pipe',
    env: { ...(process.env as Record<string, string>), ...options.env },
  });
  const client = new Client({ name: 'stack-tests', version: '1' });
  await client.connect(transport);
  clients.push(client);
  const seen: string[] = [];
  const call = async (name: string, args: Record<string, unknown> = {}): Promise<McpAnswer> => {
    const result = await client.callTool({ name, arguments: args });
    const text = (result.content as { text: string }[]).map((part) => part.text).join('\n');
    seen.push(text, JSON.stringify(result.structuredContent ?? null));
    return { isError: result.isError === true, body: (result.structuredContent ?? JSON.parse(text)) as Json, text };
  };
  const read = async (uri: string): Promise<string> => {
    const text = ((await client.readResource({ uri })).contents[0] as { text: string }).text;
    seen.push(text);
    return text;
  };
  return { client, call, read, seen };
}
