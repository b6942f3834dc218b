import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { LogLine } from '../../model/log-line.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { loadStack } from '../../api.js';
import { DashError } from '../dashboard/reply.js';
import { problemOf } from '../live-sources.js';
import { StackError } from '../../model/errors.js';
import { Refused, StackTools, MAX_EVENTS, MAX_LOG_BYTES, MAX_LOG_LINES, type ToolsOptions } from './tools.js';
import { eventsOutput, checkOutput, diffOutput, logsOutput, planOutput, runOutput, statusOutput, validateOutput } from './schemas.js';

const VERBS = ['start', 'stop', 'restart', 'enable', 'disable'] as const;

/**
 * `stack mcp`'s server (docs/mcp.md): the tools, each with input and output schemas after the
 * JSON contracts (docs/api.md), and the resources. Every result and every error passes the
 * redactor (tools.ts) before it leaves; a refused change says why and how to allow it.
 */
export function createMcpServer(options: ToolsOptions & { version: string }): { server: McpServer; tools: StackTools } {
  const tools = new StackTools(options);
  const server = new McpServer({ name: 'stack', version: options.version }, { instructions: INSTRUCTIONS });
  const answer = async (work: () => Promise<Record<string, unknown>>): Promise<CallToolResult> => {
    try {
      const body = await tools.redacted(await work());
      return { content: [{ type: 'text', text: JSON.stringify(body, null, 2) }], structuredContent: body };
    } catch (error) {
      const failure = await tools.redacted(describe(error));
      return { content: [{ type: 'text', text: JSON.stringify(failure, null, 2) }], isError: true };
    }
  };
  const read = { readOnlyHint: true, openWorldHint: false } as const;

  server.registerTool('status', {
    title: 'Status of the services',
    description: 'What runs, as `stack status --json`: each service with desired and observed state, pid, restarts, health, ports, CPU and memory.',
    inputSchema: { services: z.array(z.string()).optional().describe('only these services (default: all)') },
    outputSchema: statusOutput,
    annotations: read,
  }, ({ services }) => answer(() => tools.status(services)));

  server.registerTool('plan', {
    title: 'Plan',
    description: 'What `stack apply` would do now, in order, as `stack plan --json`, with each changed service\'s field diffs and a planHash: `apply` takes that hash and carries out exactly this plan.',
    inputSchema: {},
    outputSchema: planOutput,
    annotations: read,
  }, () => answer(() => tools.plan()));

  server.registerTool('validate', {
    title: 'Validate a proposed stack.yaml',
    description: 'Checks a whole stack.yaml text without writing it: its issues with file:line:column, or, when valid, the plan it would make now (nothing is started).',
    inputSchema: { text: z.string().describe('the whole stack.yaml text as proposed') },
    outputSchema: validateOutput,
    annotations: read,
  }, ({ text }) => answer(() => tools.validate(text)));

  server.registerTool('diff', {
    title: 'Diff between revisions',
    description: 'What stack.yaml wants at one git revision against another, as `stack diff A B --json` (default: HEAD against the working file).',
    inputSchema: { from: z.string().optional().describe('a git revision (default HEAD)'), to: z.string().optional().describe('a git revision (default: the working file)') },
    outputSchema: diffOutput,
    annotations: read,
  }, ({ from, to }) => answer(() => tools.diff(from, to)));

  server.registerTool('check', {
    title: 'Check the machine',
    description: 'The doctor, as `stack check --json`: Node, executables, docker, plugins, variables, ports, .stack/.',
    inputSchema: {},
    outputSchema: checkOutput,
    annotations: read,
  }, () => answer(() => tools.check()));

  server.registerTool('logs', {
    title: 'A service\'s log',
    description: 'A service\'s last lines with when each was read and its stream (as `stack logs --json`), from the last 16 MiB of its log at most; since narrows them to a window (bisected: a long log is not read whole), grep (an RE2 pattern: linear time) and stderr to the matching ones. At most maxBytes are returned (the newest lines); truncated says when lines were left out for maxBytes.',
    inputSchema: {
      service: z.string(),
      lines: z.number().int().min(1).max(MAX_LOG_LINES).optional().describe('how many (default 100)'),
      since: z.string().max(64).optional().describe('only lines read since then: a duration ago (10m, 2h, 1d) or an ISO 8601 time'),
      grep: z.string().max(1000).optional().describe('keep only lines matching this RE2 pattern'),
      stderr: z.boolean().optional().describe('only what the service wrote to stderr'),
      maxBytes: z.number().int().min(1).max(MAX_LOG_BYTES).optional().describe('at most this many bytes of lines (default 65536)'),
    },
    outputSchema: logsOutput,
    annotations: read,
  }, ({ service, lines, since, grep, stderr, maxBytes }) => answer(() => tools.logs(service, { lines, since, grep, stderr, maxBytes })));

  server.registerTool('events', {
    title: 'Events since a cursor',
    description: 'What the controller saw and did (exits, restarts, probe results, state changes, reconciles), kept across its restarts, oldest first. Pass the `next` of the previous call as cursor to get only newer ones.',
    inputSchema: {
      cursor: z.string().optional().describe('the `next` a previous call returned (default: from the oldest kept)'),
      services: z.array(z.string()).optional().describe('only events about these services'),
      limit: z.number().int().min(1).max(MAX_EVENTS).optional().describe('at most this many (default 200)'),
    },
    outputSchema: eventsOutput,
    annotations: read,
  }, ({ cursor, services, limit }) => answer(() => tools.events(cursor, services, limit)));

  for (const verb of VERBS) {
    server.registerTool(verb, {
      title: `${verb} a service`,
      description: verb === 'restart'
        ? 'Stops and starts a service now, as `stack restart <service>` (stack.yaml is not edited). Needs the edit permission (`--allow edit`); otherwise it says what it would do.'
        : `As \`stack ${verb} <service>\`: edits stack.yaml (optionally committing it) and carries out that change. Needs the edit permission (\`--allow edit\`); otherwise it returns the plan it would make and how to allow it.`,
      inputSchema: { service: z.string(), ...(verb === 'restart' ? {} : { commit: z.boolean().optional().describe('commit stack.yaml to git after the edit') }) },
      outputSchema: runOutput,
      annotations: { readOnlyHint: false, destructiveHint: verb === 'stop' || verb === 'disable' || verb === 'restart', idempotentHint: verb !== 'restart', openWorldHint: false },
    }, (args: { service: string; commit?: boolean }) => answer(() => tools.verb(verb, args.service, args.commit)));
  }

  server.registerTool('apply', {
    title: 'Apply a plan shown',
    description: 'Carries out exactly the plan the `plan` tool returned with this planHash, as `stack apply <plan>`; refused when stack.yaml or the services changed since (plan again). Needs the apply permission (`--allow apply`).',
    inputSchema: { planHash: z.string().describe('the planHash of a plan the `plan` tool returned') },
    outputSchema: runOutput,
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
  }, ({ planHash }) => answer(() => tools.apply(planHash)));

  // A failure is said as the tools say it (file:line:col), redacted too: it reaches the agent as the error's message.
  const text = async (uri: URL, body: () => Promise<string>, mimeType: string) => {
    const said = await body().catch(async (error: unknown) => {
      throw new Error(await tools.redacted(String(describe(error).error)));
    });
    return { contents: [{ uri: uri.href, mimeType, text: await tools.redacted(said) }] };
  };
  server.registerResource('stack.yaml', 'stack://stack.yaml', { title: 'stack.yaml', description: 'The stack file as it is now (secret values hidden).', mimeType: 'application/yaml' }, (uri) =>
    text(uri, () => tools.stackFileShown(), 'application/yaml'),
  );
  server.registerResource('plan', 'stack://plan/last', { title: 'The last plan', description: 'The plan the `plan` tool last returned (JSON), or a note that there is none yet.', mimeType: 'application/json' }, (uri) =>
    text(uri, async () => JSON.stringify(tools.lastPlan ?? { note: 'no plan yet: call the plan tool' }, null, 2), 'application/json'),
  );
  const logs = new ResourceTemplate('stack://logs/{service}', {
    list: async () => ({ resources: (await loadStack({ file: options.file }).then((desired) => desired.services, () => [])).map((service) => ({ uri: `stack://logs/${encodeURIComponent(service.name)}`, name: `log of ${service.name}`, mimeType: 'text/plain' })) }),
  });
  server.registerResource('log', logs, { title: 'A service\'s recent log', description: 'Its last 200 lines, each after the time stack read it and | (stdout) or ! (stderr), as `stack logs --timestamps` (secret values hidden).', mimeType: 'text/plain' }, (uri, { service }) =>
    text(uri, async () => ((await tools.logs(decodeURIComponent(String(service)), { lines: 200 })).lines as LogLine[]).map((line) => `${line.at ?? '-'} ${line.stream === 'stderr' ? '!' : '|'} ${line.text}`).join('\n'), 'text/plain'),
  );
  return { server, tools };
}

const INSTRUCTIONS = `stack runs a local stack of services declared in stack.yaml. Look with status, plan, logs and events; check a change to stack.yaml with validate before writing it. Changes go through the file: the verbs (start, stop, enable, disable) edit stack.yaml and carry it out, and apply carries out exactly a plan the plan tool showed (by its planHash). They are refused unless the person who started the server allowed them (--allow edit, --allow apply, or mcp.allow in stack.yaml); a refusal says what would happen. Secret values are never shown.`;

/** A failure as the agent reads it: the message, the exit code the CLI would give, and what else helps (how to allow it, the plan it would make). */
function describe(error: unknown): Record<string, unknown> {
  if (error instanceof Refused) return { error: error.message, ...error.details };
  if (error instanceof DashError) return { error: error.message, exitCode: error.code };
  if (error instanceof StackError) return { error: problemOf(error), exitCode: error.code, ...(error.hint ? { hint: error.hint } : {}) };
  return { error: error instanceof Error ? error.message : String(error) };
}
