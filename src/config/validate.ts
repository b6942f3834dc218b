/** Checks a parsed document against its schema and turns every zod issue into one for people. Pure. */

import type { z } from 'zod';
import type { ConfigIssue } from '../model/errors.js';
import { composeKeyHabit, composeValueHint } from './compose-habits.js';
import type { Habit } from './compose-habits.js';
import { formatPath, issueAt, quote, showValue, suggest } from './issues.js';
import type { KeyPath, Locate } from './issues.js';
import type { ProviderCatalog } from '../model/provider-module.js';
import { getStackSchemas } from './schema.js';
import type { StackFile } from './schema.js';

export interface Validated {
  value?: StackFile;
  issues: ConfigIssue[];
}

/** How one file's issues are worded beyond the schema's own messages. */
interface Wording {
  /** Said when the file has no `version`. */
  versionHint?: string;
  /** A precise hint for an unknown key, in place of the list of allowed keys. */
  keyHabit?: (path: KeyPath, key: string, value: unknown) => Habit | undefined;
  /** A hint for a refused value. */
  valueHint?: (path: KeyPath, value: unknown) => string | undefined;
}

/** Checks stack.yaml's document against the schema the providers' keys complete; compose's keys and forms get hints. */
export function validateStack(document: unknown, locate: Locate, providers: ProviderCatalog): Validated {
  return validateAgainst(getStackSchemas(providers).StackFileSchema, document, locate, {
    versionHint: 'stack.yaml starts with `version: 1`',
    keyHabit: composeKeyHabit,
    valueHint: composeValueHint,
  });
}

/** Validates `document` against any of our file schemas (stack.yaml, plugin.yaml), every issue located. */
export function validateAgainst<S extends z.ZodType>(schema: S, document: unknown, locate: Locate, wording: Wording = {}): { value?: z.infer<S>; issues: ConfigIssue[] } {
  const result = schema.safeParse(document, { reportInput: true });
  if (result.success) return { value: result.data, issues: [] };
  return { issues: result.error.issues.flatMap((issue) => describeIssue(issue, locate, schema, wording)) };
}

function describeIssue(issue: z.core.$ZodIssue, locate: Locate, root: z.ZodType, wording: Wording): ConfigIssue[] {
  const path = issue.path.filter((segment): segment is string | number => typeof segment !== 'symbol');
  if (issue.code === 'unrecognized_keys') {
    const allowed = allowedKeysAt(path, root);
    return issue.keys.map((key) => {
      const habit = wording.keyHabit?.(path, key, valueOf(issue.input, key));
      const guess = habit ? habit.instead : suggest(key, allowed);
      const message = guess ? `unknown key ${quote(key)} (did you mean "${guess}"?)` : `unknown key ${quote(key)}`;
      const hint = habit?.hint ?? `allowed keys${path.length > 0 ? ` in ${formatPath(path)}` : ''}: ${allowed.join(', ')}`;
      return issueAt(locate, [...path, key], message, hint);
    });
  }
  // A union (a command: a string or a list) reports a missing key as a mismatch of every arm.
  if (issue.input === undefined && (issue.code === 'invalid_type' || issue.code === 'invalid_value' || issue.code === 'invalid_union')) {
    const key = path.at(-1);
    const hint = key === 'version' ? wording.versionHint : undefined;
    return [issueAt(locate, path, `missing required key "${String(key)}"`, hint)];
  }
  // A record's key that its key schema refused: the key schema's message says why.
  // `ports:` is a list or a map: when the value is one of them, its items' own issues are what to say.
  if (issue.code === 'invalid_union' && path.at(-1) === 'ports') {
    const matched = issue.errors.filter((arm) => arm.length > 0 && arm.every((inner) => inner.path.length > 0));
    if (matched.length === 1) return (matched[0] ?? []).flatMap((inner) => describeIssue({ ...inner, path: [...issue.path, ...inner.path] } as z.core.$ZodIssue, locate, root, wording));
  }
  if (issue.code === 'invalid_key') return [issueAt(locate, path, issue.issues[0]?.message ?? messageFor(issue))];
  return [issueAt(locate, path, messageFor(issue), wording.valueHint?.(path, issue.input))];
}

function valueOf(map: unknown, key: string): unknown {
  return typeof map === 'object' && map !== null && Object.hasOwn(map, key) ? (map as Record<string, unknown>)[key] : undefined;
}

/** Our schemas carry their own messages; zod's defaults ("Invalid input: ...") are rewritten. */
function messageFor(issue: z.core.$ZodIssue): string {
  if (!/^(Invalid|Too (small|big))/.test(issue.message)) return issue.message;
  const got = showValue(issue.input);
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${article(issue.expected)}, got ${got}`;
    case 'too_small':
      return issue.origin === 'array'
        ? `expected at least ${issue.minimum} items`
        : `expected a value of at least ${issue.minimum}, got ${got}`;
    case 'too_big':
      return `expected a value of at most ${issue.maximum}, got ${got}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((value) => showValue(value)).join(', ')}, got ${got}`;
    default:
      return `invalid value ${got}`;
  }
}

function article(expected: string): string {
  const names: Record<string, string> = { object: 'a map', record: 'a map', array: 'a list', int: 'a whole number' };
  return names[expected] ?? (/^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`);
}

interface SchemaDef {
  type: string;
  innerType?: Walkable;
  shape?: Record<string, Walkable>;
  valueType?: Walkable;
  element?: Walkable;
  options?: Walkable[];
  in?: Walkable;
}
interface Walkable {
  _zod: { def: SchemaDef };
}

/** The keys the schema `root` allows at `path` (a map), for "did you mean". */
export function allowedKeysAt(path: KeyPath, root: z.ZodType): string[] {
  let schema: Walkable | undefined = root as unknown as Walkable;
  for (const segment of path) {
    const def: SchemaDef | undefined = schema ? unwrap(schema)._zod.def : undefined;
    if (!def) return [];
    if (def.type === 'object') schema = def.shape?.[String(segment)];
    else if (def.type === 'record') schema = def.valueType;
    else if (def.type === 'array') schema = def.element;
    else return [];
  }
  const shape = schema ? unwrap(schema)._zod.def.shape : undefined;
  return shape ? Object.keys(shape) : [];
}

function unwrap(schema: Walkable): Walkable {
  let current = schema;
  for (;;) {
    const def = current._zod.def;
    const next =
      def.innerType ?? (def.type === 'pipe' ? def.in : undefined) ??
      (def.type === 'union' ? def.options?.find((option) => ['object', 'array'].includes(unwrap(option)._zod.def.type)) : undefined);
    if (!next) return current;
    current = next;
  }
}
