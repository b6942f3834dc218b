/**
 * The shape of stack.yaml as written (before defaults and paths are resolved).
 * Shape only: rules that span keys live in semantic.ts, so every issue can be reported at once.
 */

import { z } from 'zod';
import type { ProviderCatalog, SchemaKit } from '../model/provider-module.js';
import { ENV_NAME, ENV_NAME_RULE } from './env-files.js';
import { listOr, quote } from './issues.js';
import { once } from './once.js';
import { SIGNALS } from './signals.js';
import { DURATION_PATTERN, MAX_CPU_LIMIT, MAX_PIDS_LIMIT, MIN_CPU_LIMIT, MIN_MEMORY_LIMIT, parseDuration, parsePort, parsePortWant, parseSize, PORT_NAME } from './units.js';

/**
 * The schemas, built at the first call rather than when the module loads: zod builds each
 * schema object eagerly (~14 ms for these on the 2-core machine, every command), and a command
 * whose stack.yaml was validated before (the parse cache, see read-stack.ts) needs none of them.
 * The parts every file shares come first; stack.yaml's own schema is built per provider catalog,
 * each provider adding the keys it owns.
 */
export const getSchemaParts = once(buildSchemaParts);

const built = new WeakMap<ProviderCatalog, ReturnType<typeof buildStackSchemas>>();

export function getStackSchemas(providers: ProviderCatalog): ReturnType<typeof buildStackSchemas> {
  let schemas = built.get(providers);
  if (!schemas) {
    schemas = buildStackSchemas(providers);
    built.set(providers, schemas);
  }
  return schemas;
}

const isMap = (value: unknown): boolean => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The error of a union whose second branch is a long form (a map): a map was meant as that form,
 * so what is wrong inside it is said, rather than that it is not the short form.
 */
const longFormError = (fallback: string) => (issue: { input?: unknown }): string => {
  const inner = isMap(issue.input) && 'errors' in issue ? (issue.errors as { path: PropertyKey[]; message: string }[][])[1]?.[0] : undefined;
  return inner ? `${inner.path.map(String).join('.')}${inner.path.length > 0 ? ': ' : ''}${inner.message}` : fallback;
};

function buildSchemaParts() {
  const quoted = (value: unknown): string => (typeof value === 'string' ? quote(value) : JSON.stringify(value) ?? String(value));

  const DurationSchema = z
    .string({
      error: (issue) =>
        typeof issue.input === 'number'
          ? `a duration needs a unit: write ${issue.input}ms or ${issue.input}s, not ${issue.input}`
          : `expected a duration like 500ms, 10s, 2m or 1h, got ${quoted(issue.input)}`,
    })
    .regex(DURATION_PATTERN, {
      error: (issue) => `expected a duration like 500ms, 10s, 2m or 1h, got ${quoted(issue.input)}`,
    })
    .refine((text) => !DURATION_PATTERN.test(text) || parseDuration(text) !== undefined, { error: 'a duration must be at most 24h' })
    .describe('A duration: 500ms, 10s, 2m or 1h.');

  const scalarError = { error: 'expected a string, number or boolean' };
  const ScalarSchema = z.union([z.string(), z.number(), z.boolean()], scalarError);
  const EnvName = z.string().regex(ENV_NAME, { error: (issue) => `env name ${quoted(issue.input)} is not allowed: ${ENV_NAME_RULE}` });
  const EnvSchema = z.record(EnvName, ScalarSchema);
  const NonEmptyString = (what: string) => z.string({ error: `expected ${what}` }).min(1, { error: `${what} must not be empty` });
  const StringList = (what: string) => z.array(NonEmptyString(what), { error: `expected a list of ${what}s` });

  const portError = (issue: { input?: unknown }) => `expected a port (1-65535) or "host:port", got ${quoted(issue.input)}`;
  const PortSchema = z
    .union([z.number(), z.string()], { error: portError })
    .refine((value) => parsePort(value) !== undefined, { error: portError });

  const namedPortError = (issue: { input?: unknown }) => `expected a port (1-65535), "host:port", auto or "auto:low-high", got ${quoted(issue.input)}`;
  const NamedPortSchema = z
    .union([z.number(), z.string()], { error: namedPortError })
    .refine((value) => parsePortWant(value) !== undefined, { error: namedPortError });
  const PortName = z.string().regex(PORT_NAME, { error: (issue) => `port name ${quoted(issue.input)} is not allowed: letters, digits, _ and -, starting with a letter or _` });

  const WholeNumber = (min: number, max = Number.MAX_SAFE_INTEGER) =>
    z
      .int({ error: (issue) => `expected a whole number, got ${quoted(issue.input)}` })
      .min(min, { error: (issue) => `expected at least ${min}, got ${quoted(issue.input)}` })
      .max(max, { error: (issue) => `expected at most ${max}, got ${quoted(issue.input)}` });

  const ArgvSchema = z.union([z.string(), z.array(z.union([z.string(), z.number(), z.boolean()]))], {
    error: 'expected a command string or a list of arguments',
  });

  const ProbeSchema = z
    .strictObject({
      tcp: PortSchema.optional().describe('A port or "host:port" that must accept connections.'),
      http: z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }).optional(),
      exec: ArgvSchema.optional().describe('A command that must exit 0.'),
      log: NonEmptyString('a regular expression').optional().describe('A regular expression the log must show.'),
      timeout: DurationSchema.optional(),
      interval: DurationSchema.optional(),
      failureThreshold: WholeNumber(1).optional(),
    })
    .describe('Exactly one of tcp, http, exec or log, with optional timing.');

  const StopSchema = z.strictObject({
    signal: z.enum(SIGNALS, { error: (issue) => `expected one of ${SIGNALS.join(', ')}, got ${quoted(issue.input)}` }).optional(),
    timeout: DurationSchema.optional(),
  });

  const StartSchema = z.strictObject({
    settle: DurationSchema.optional().describe(
      'How long a service without a ready probe must stay up after its start for apply to count it started (0ms: no check).',
    ),
  });

  const RestartSchema = z.strictObject({
    policy: z.enum(['no', 'on-failure', 'always'], {
      error: (issue) => `expected no, on-failure or always, got ${quoted(issue.input)}`,
    }).optional(),
    maxRestarts: WholeNumber(0).optional(),
    backoff: z
      .strictObject({ initial: DurationSchema.optional(), max: DurationSchema.optional(), reset: DurationSchema.optional() })
      .optional(),
  });

  const sizeError = (issue: { input?: unknown }) =>
    `expected a size like 10MB, 512KiB or a number of bytes, got ${quoted(issue.input)}`;

  const LogsSchema = z.strictObject({
    maxSize: z
      .union([z.number(), z.string()], { error: sizeError })
      .refine((value) => parseSize(value) !== undefined, { error: sizeError })
      .optional(),
    maxFiles: WholeNumber(1, 1000).optional(),
  });

  const memoryError = (issue: { input?: unknown }) => `expected a memory size like 512MB or 1GiB, got ${quoted(issue.input)}`;
  const cpuError = (issue: { input?: unknown }) => `expected a number of CPUs like 0.5 or 1.5, got ${quoted(issue.input)}`;
  const LimitsSchema = z
    .strictObject({
      memory: z
        .union([z.number(), z.string()], { error: memoryError })
        .refine((value) => parseSize(value) !== undefined, { error: memoryError })
        .refine((value) => (parseSize(value) ?? MIN_MEMORY_LIMIT) >= MIN_MEMORY_LIMIT, { error: 'a memory limit below 1MB would stop the process as it starts' })
        .optional()
        .describe('The most memory the process group may use: 512MB, 1GiB.'),
      cpu: z
        .number({ error: cpuError })
        .min(MIN_CPU_LIMIT, { error: (issue) => `expected at least ${MIN_CPU_LIMIT} CPUs, got ${quoted(issue.input)}` })
        .max(MAX_CPU_LIMIT, { error: (issue) => `expected at most ${MAX_CPU_LIMIT} CPUs, got ${quoted(issue.input)}` })
        .optional()
        .describe('How many CPUs the process group may keep busy: 0.5 is half of one core.'),
      pids: WholeNumber(1, MAX_PIDS_LIMIT).optional().describe('The most processes and threads the process group may have at once.'),
    })
    .describe('Resource limits of a process service, enforced with cgroups where stack can create them, else memory by a watchdog in the controller.');

  const ConditionSchema = z.enum(['started', 'ready', 'completed'], {
    error: (issue) => `expected started, ready or completed, got ${quoted(issue.input)}`,
  });
  const dependsOnError = (input: unknown): string =>
    Array.isArray(input)
      ? 'expected a list of service names'
      : typeof input === 'object' && input !== null
        ? 'expected a map of service name → started, ready or completed, as in dependsOn: { db: ready }'
        : 'expected a list of service names, or a map of service name → started, ready or completed';

  const overlapError = (issue: { input?: unknown }) => `expected skip, queue or replace, got ${quoted(issue.input)}`;
  const ScheduleSchema = z.union([
    NonEmptyString('a cron expression or an interval'),
    z.strictObject({
      cron: NonEmptyString('a cron expression').optional(),
      every: DurationSchema.optional(),
      timezone: NonEmptyString('a time zone').optional().describe('An IANA time zone the cron expression is read in (default: the machine\'s).'),
      overlap: z.enum(['skip', 'queue', 'replace'], { error: overlapError }).optional()
        .describe('When a run comes due and the last one still runs: skip it (default), queue it (one waits at most), or replace the running one.'),
    }),
  ], { error: longFormError('expected a cron expression ("*/15 * * * *"), an interval ("30s"), or { cron | every, overlap, timezone }') });

  const WatchSchema = z.union([
    z.array(NonEmptyString('a glob'), { error: 'expected a list of globs' }).min(1, { error: 'watch needs at least one glob' }),
    z.strictObject({
      paths: z.array(NonEmptyString('a glob'), { error: 'expected a list of globs' }).min(1, { error: 'watch needs at least one glob' }),
      ignore: StringList('glob').optional().describe('Globs left out (besides .git, node_modules and .stack).'),
      gitignore: z.boolean({ error: 'expected true or false' }).optional().describe('Leave out what the .gitignore beside stack.yaml leaves out (default true).'),
      debounce: DurationSchema.optional().describe('How long changes gather before the build or restart begins (default 100ms).'),
    }),
  ], { error: longFormError('expected a list of globs, or { paths, ignore, gitignore, debounce }') });

  const kit: SchemaKit = { z, quoted, NonEmptyString, StringList, WholeNumber, EnvSchema, ArgvSchema };
  // What plugin-schema.ts and the providers' fragments build on.
  return { kit, ScheduleSchema, WatchSchema, ArgvSchema, DurationSchema, EnvSchema, NonEmptyString, StringList, WholeNumber, ConditionSchema, dependsOnError, PortSchema, NamedPortSchema, PortName, ProbeSchema, StartSchema, StopSchema, RestartSchema, LogsSchema, LimitsSchema, quoted };
}

function buildStackSchemas(providers: ProviderCatalog) {
  const { kit, quoted, EnvSchema, NonEmptyString, StringList, WholeNumber, ScheduleSchema, WatchSchema, ArgvSchema, ConditionSchema, dependsOnError, PortSchema, NamedPortSchema, PortName, ProbeSchema, StartSchema, StopSchema, RestartSchema, LogsSchema, LimitsSchema } = getSchemaParts();
  const names = providers.map((module) => module.name);
  // The keys each provider owns come first, in the catalog's order, then those every service has.
  const ServiceSchema = z.strictObject({
    provider: z.enum(names as [string, ...string[]], { error: (issue) => `expected ${listOr(names)}, got ${quoted(issue.input)}` }).optional(),
    ...Object.fromEntries(providers.flatMap((module) => Object.entries(module.schema(kit)).map(([key, schema]) => [key, schema.optional()]))),
    env: EnvSchema.optional(),
    envFile: z.union([NonEmptyString('an env file path'), StringList('env file path')], {
      error: 'expected an env file path or a list of them',
    }).optional(),
    dependsOn: z
      .union([StringList('service name'), z.record(z.string(), ConditionSchema)], { error: (issue) => dependsOnError(issue.input) })
      .optional()
      .describe('The services to start first: a list (each ready first), or a map of service → started, ready or completed.'),
    kind: z
      .enum(['service', 'task'], { error: (issue) => `expected service or task, got ${quoted(issue.input)}` })
      .optional()
      .describe('task: a command that runs to completion (a migration); service (default): one that keeps running.'),
    successExitCodes: z
      .array(WholeNumber(0, 255), { error: 'expected a list of exit codes' })
      .min(1, { error: 'successExitCodes needs at least one exit code' })
      .optional()
      .describe('A task\'s exit codes that count as success (default [0]).'),
    inputs: StringList('glob')
      .optional()
      .describe('A task\'s input files, globs relative to stack.yaml: a change of their content runs it again.'),
    schedule: ScheduleSchema.optional()
      .describe('A task\'s schedule, run by stack watch or stack up: a cron expression ("*/15 * * * *"), an interval ("30s"), or { cron | every, overlap, timezone }.'),
    watch: WatchSchema.optional()
      .describe('Restart the service when these files change (globs relative to stack.yaml), under stack watch or stack up; or { paths, ignore, gitignore, debounce }.'),
    build: ArgvSchema.optional()
      .describe('Run before a restart caused by watch:; a failure keeps the running process. Split like command (shell: true runs it through /bin/sh).'),
    restartWith: StringList('service name').optional()
      .describe('Services whose restart by watch: restarts this one too, after them, each waiting for readiness.'),
    ports: z
      .union([z.array(PortSchema), z.record(PortName, NamedPortSchema)], { error: 'expected a list of ports, or a map of port name → port, auto or "auto:low-high"' })
      .optional()
      .describe('The ports it listens on: a list ([8080, "127.0.0.1:5432"]), or named ports ({ http: auto, admin: 9090, debug: "auto:7000-7999" }) that ${ports.<service>.<name>} reads; auto picks a free port once per stack folder.'),
    ready: ProbeSchema.optional(),
    health: ProbeSchema.optional(),
    enabled: z.boolean().optional(),
    state: z.enum(['running', 'stopped'], { error: (issue) => `expected running or stopped, got ${quoted(issue.input)}` }).optional(),
    start: StartSchema.optional(),
    stop: StopSchema.optional(),
    restart: RestartSchema.optional(),
    logs: LogsSchema.optional(),
    limits: LimitsSchema.optional(),
    sensitive: StringList('key').optional(),
  });

  const DefaultsSchema = z.strictObject({
    start: StartSchema.optional(),
    stop: StopSchema.optional(),
    restart: RestartSchema.optional(),
    logs: LogsSchema.optional(),
  });

  const StackFileSchema = z
    .strictObject({
      version: z.literal(1, { error: (issue) => `expected version: 1, got ${quoted(issue.input)}` }),
      project: NonEmptyString('a project name').optional(),
      defaults: DefaultsSchema.optional(),
      mcp: z
        .strictObject({
          allow: z.array(z.enum(['edit', 'apply'], { error: (issue) => `expected edit or apply, got ${quoted(issue.input)}` }), { error: 'expected a list: [edit], [apply] or [edit, apply]' }),
        })
        .optional()
        .describe('What `stack mcp` lets an AI agent change, read when it starts: edit (the verbs start, stop, restart, enable, disable) and apply (a plan it showed). `stack mcp --allow` replaces it.'),
      services: z.record(z.string(), ServiceSchema, { error: 'expected a map of services' }),
    })
    .describe('stack.yaml: the services of one machine, declared.');

  return { ServiceSchema, StackFileSchema };
}

type SchemaParts = ReturnType<typeof buildSchemaParts>;
type StackSchemas = ReturnType<typeof buildStackSchemas>;
export type StackFile = z.infer<StackSchemas['StackFileSchema']>;
/** A service as written: the keys every service has typed, the providers' own keys as they came. */
export type ServiceInput = z.infer<StackSchemas['ServiceSchema']> & Readonly<Record<string, unknown>>;
export type ProbeInput = z.infer<SchemaParts['ProbeSchema']>;
export type StopInput = z.infer<SchemaParts['StopSchema']>;
export type RestartInput = z.infer<SchemaParts['RestartSchema']>;
export type LogsInput = z.infer<SchemaParts['LogsSchema']>;
export type LimitsInput = z.infer<SchemaParts['LimitsSchema']>;
