import { z } from 'zod';

// The tools' output schemas: the JSON contracts of the commands they answer as (docs/api.md,
// README "JSON output"), each object loose, the answer itself too: the contracts add fields (a
// plan's `ports` and `notes`, a diff's `project` and `summary`), and a client checks each answer
// against the schema (the SDK's JSON Schema forbids what a strict object does not name).

const version = { formatVersion: z.literal(1) };
const action = z.looseObject({ service: z.string(), op: z.string(), reason: z.string() });
const blocked = z.looseObject({ service: z.string(), kind: z.string(), reason: z.string() });
const issue = z.looseObject({ message: z.string(), path: z.string().optional(), file: z.string().optional(), line: z.number().optional(), column: z.number().optional(), hint: z.string().optional() });
const fieldDiffs = z.array(z.looseObject({ service: z.string(), op: z.string(), lines: z.array(z.string()) }));

/** `stack plan --json`'s body (reconcile/render-json.ts), with the field diffs `stack plan` prints. */
const planBody = { ...version, project: z.string(), actions: z.array(action), summary: z.record(z.string(), z.number()), blocked: z.array(blocked), fieldDiffs };

export const statusOutput = z.looseObject({
  ...version,
  project: z.string(),
  services: z.array(z.looseObject({ name: z.string(), provider: z.string(), enabled: z.boolean(), desired: z.string(), observed: z.string(), pid: z.number().nullable(), restarts: z.number() })),
  notice: z.string().optional(),
});

export const planOutput = z.looseObject({ ...planBody, planHash: z.string().describe('what apply takes: exactly this plan') });

export const validateOutput = z.looseObject({
  ...version,
  valid: z.boolean(),
  issues: z.array(issue).optional().describe('why the text is not valid (valid: false)'),
  services: z.array(z.string()).optional(),
  warnings: z.array(issue).optional(),
  plan: z.looseObject(planBody).optional().describe('what apply would do if the text were stack.yaml now'),
  unread: z.array(z.string()).optional().describe('variables the text names that stack.yaml does not: read as unset'),
  note: z.string().optional(),
  edited: z.array(z.string()).optional(),
  already: z.array(z.string()).optional(),
});

export const diffOutput = z.looseObject({
  ...version,
  before: z.string(),
  after: z.string(),
  services: z.array(z.looseObject({ service: z.string(), change: z.enum(['added', 'removed', 'changed']) })),
});

export const checkOutput = z.looseObject({ ...version, ok: z.boolean(), checks: z.array(z.looseObject({ check: z.string(), ok: z.boolean(), detail: z.string() })) });

export const logsOutput = z.looseObject({
  ...version,
  service: z.string(),
  lines: z.array(z.looseObject({ text: z.string(), stream: z.enum(['stdout', 'stderr', 'stack']), at: z.string().optional().describe('when stack read the line (ISO 8601, microseconds)') })).describe('oldest first; stack\'s own lines (starts, exits, restarts) have stream "stack"'),
  truncated: z.boolean().describe('older lines were left out to stay within maxBytes'),
  grep: z.string().optional(),
  since: z.string().optional().describe('the time lines were read since, as ISO 8601'),
});

export const eventsOutput = z.looseObject({
  ...version,
  events: z.array(z.looseObject({ at: z.string(), type: z.string(), service: z.string().optional() })).describe('the events of docs/api.md, oldest first'),
  next: z.string().optional().describe('the cursor for the next call'),
  more: z.boolean().describe('more events wait after these (call again with next)'),
});

/** A change carried out: the command's exit code and what it printed (docs/dashboard.md, RunResultBody). */
export const runOutput = z.looseObject({ ...version, exitCode: z.number(), lines: z.array(z.string()) });
