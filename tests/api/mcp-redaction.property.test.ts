// Issue 28: every byte `stack mcp` returns passes the redactor. Arbitrary secret values, written
// into a real stack.yaml, never come out of StackTools' answers (in-process, many runs) nor out of
// the real server spoken to by the SDK's client over an in-memory transport (fewer runs).
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import fc from 'fast-check';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { eventsFileOf } from '../../src/api.js';
import { createMcpServer } from '../../src/api/mcp/server.js';
import { StackTools } from '../../src/api/mcp/tools.js';
import { escapeControls } from '../../src/config/issues.js';
import { MIN_REDACTED_LENGTH, REDACTED } from '../../src/config/sensitive.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

// Regex metacharacters, YAML's indicators and quotes, whitespace and line breaks.
const META = [...'.*+?^${}()|[]\\/:#-&!>\'"%@`,~ \t\n\r', 'ab', '$$', '${HOME}', '\\n', ': '];
/** Words the answers hold anyway: a secret that is a substring of other text. */
const WORDS = ['web', 'running', 'stack.yaml', 'formatVersion', 'API_TOKEN', 'true', 'null', '1', 'services', 'sensitive', 'probe', 'env', 'start', '- '];

/** Secret values of every kind the loader takes (not NUL: no env value holds one). */
const secretArb = fc
  .oneof(
    fc.string({ unit: fc.constantFrom(...META), minLength: 1, maxLength: 8 }),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 10 }),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 16 }),
    fc.constantFrom(...WORDS),
    fc.array(fc.oneof(fc.string({ unit: fc.constantFrom(...META), maxLength: 6 }), fc.string({ unit: 'grapheme', maxLength: 6 })), { minLength: 2, maxLength: 4 }).map((lines) => lines.join('\n')),
    fc.string({ minLength: 1, maxLength: MIN_REDACTED_LENGTH - 1 }),
  )
  .filter((secret) => !secret.includes('\0'));

/** Text around secrets: no backslash, so only a secret's raw form can be found in it. */
const fillerArb = fc.oneof(fc.string({ unit: fc.constantFrom(...'abcdeiw nrug.:-_/'), maxLength: 10 }), fc.constantFrom(...WORDS));

/** A double-quoted YAML scalar holding exactly `text` (`$$` keeps a `$` from being interpolated). */
function yamlQuote(text: string): string {
  let out = '"';
  for (const char of text.replaceAll('$', '$$$$')) {
    const code = char.codePointAt(0) as number;
    if (char === '"' || char === '\\') out += `\\${char}`;
    else if (code >= 0x20 && code < 0x7f) out += char;
    else out += code > 0xffff ? `\\U${code.toString(16).padStart(8, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  }
  return `${out}"`;
}

/** stack.yaml with `secret` in web's env, by a secret-looking key or by `sensitive:`; `extra` is added to web. */
function stackYaml(secret: string, listed: boolean, extra = ''): string {
  const env = listed ? `      CONN: ${yamlQuote(secret)}\n    sensitive: [CONN]\n` : `      API_TOKEN: ${yamlQuote(secret)}\n`;
  return `version: 1\nproject: redact\nservices:\n  web:\n    command: [sleep, "1000"]\n    env:\n      LEVEL: info\n${env}${extra}  db:\n    command: [sleep, "1000"]\n`;
}

function scratch(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'stack-mcp-redact-'));
  dirs.push(dir);
  const file = join(dir, 'stack.yaml');
  writeFileSync(file, text);
  return file;
}

/** What must never be found once `secret` is known: the value and its lines the redactor searches for, raw and as quoted in JSON or a message. */
function needlesOf(secret: string): string[] {
  const lines = secret.split(/\r?\n|\r/);
  const values = lines.length > 1 ? [secret, ...lines] : [secret];
  const forms = values.filter((value) => value.length >= MIN_REDACTED_LENGTH).flatMap((value) => [value, JSON.stringify(value).slice(1, -1), escapeControls(value)]);
  return [...new Set(forms)].filter((form) => form.length >= MIN_REDACTED_LENGTH);
}

/**
 * Where `output` differs from `input` as redaction may not make it: another shape, keys or
 * non-string value; a needle left in a string (the redaction marker itself set aside: a secret
 * may be a piece of it); a string without a needle changed, or one with a needle not marked.
 */
function redactionProblems(input: unknown, output: unknown, needles: readonly string[], path = '$'): string[] {
  if (typeof input === 'string') {
    if (typeof output !== 'string') return [`${path}: a string became ${JSON.stringify(output)}`];
    const left = needles.filter((needle) => output.replaceAll(REDACTED, '\0').includes(needle));
    if (left.length > 0) return [`${path}: ${JSON.stringify(output)} holds ${JSON.stringify(left)}`];
    if (!needles.some((needle) => input.includes(needle))) return output === input ? [] : [`${path}: ${JSON.stringify(input)} holds no secret but became ${JSON.stringify(output)}`];
    return output.includes(REDACTED) ? [] : [`${path}: ${JSON.stringify(input)} became ${JSON.stringify(output)}, unmarked`];
  }
  if (Array.isArray(input)) {
    if (!Array.isArray(output) || output.length !== input.length) return [`${path}: an array of ${input.length} became ${JSON.stringify(output)}`];
    return input.flatMap((item: unknown, index) => redactionProblems(item, output[index], needles, `${path}[${index}]`));
  }
  if (input !== null && typeof input === 'object') {
    const keys = Object.keys(input);
    if (output === null || typeof output !== 'object' || JSON.stringify(Object.keys(output)) !== JSON.stringify(keys)) return [`${path}: keys ${JSON.stringify(keys)} became ${JSON.stringify(output)}`];
    return keys.flatMap((key) => redactionProblems((input as Record<string, unknown>)[key], (output as Record<string, unknown>)[key], needles, `${path}.${key}`));
  }
  return Object.is(input, output) ? [] : [`${path}: ${String(input)} became ${JSON.stringify(output)}`];
}

/** `.stack/events.log` with events quoting `secrets` where a controller's events say things, and web's log with lines holding them. */
function writeLogAndEvents(file: string, secrets: readonly string[], [a, b, c]: readonly string[]): void {
  const at = (second: number) => `2025-01-01T00:00:0${second}.000Z`;
  const events = secrets.flatMap((secret, index) => [
    { at: at(index * 2), type: 'probe', service: 'web', kind: 'health', ok: false, reason: `${a}${secret}${b}` },
    { at: at(index * 2 + 1), type: 'reconciled', reason: c, converged: false, failed: [{ service: 'web', error: `${secret}${c}` }, { service: 'db' }] },
  ]);
  mkdirSync(join(file, '..', '.stack', 'logs'), { recursive: true, mode: 0o700 });
  writeFileSync(eventsFileOf(file), events.map((event) => `${JSON.stringify(event)}\n`).join(''));
  const lines = secrets.flatMap((secret) => [`${a}${secret}${b}`, ...secret.split(/\r?\n|\r/), c]);
  writeFileSync(join(file, '..', '.stack', 'logs', 'web.log'), `${lines.join('\n')}\n`);
}

/**
 * The needles of a secret only a text that did not load declared, but those that are a piece of
 * a name its issues give (the file's path, `services.web.enabled`): the loader hides the secrets
 * of such a text in its messages, names are left as they are.
 */
function unnamed(needles: readonly string[], file: string, broken: unknown): string[] {
  const names = [file, ...((broken as { issues?: { path?: string }[] }).issues ?? []).map((issue) => issue.path ?? '')];
  return needles.filter((needle) => !names.some((name) => name.includes(needle)));
}

/** Each string in `value` that still holds a needle (the redaction marker set aside). */
function leaksIn(value: unknown, needles: readonly string[], path = '$'): string[] {
  if (typeof value === 'string') {
    const left = needles.filter((needle) => value.replaceAll(REDACTED, '\0').includes(needle));
    return left.length > 0 ? [`${path}: ${JSON.stringify(value)} holds ${JSON.stringify(left)}`] : [];
  }
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, item]) => leaksIn(item, needles, `${path}.${key}`));
}

/** Answers of every tool's shape with `secret` where a leak could put it: odd fields, diffs, issues, log lines, events, nested. */
function bodiesWith(secret: string, [a, b, c]: readonly string[]): Record<string, unknown>[] {
  const around = `${a}${secret}${b}`;
  return [
    { formatVersion: 1, project: 'redact', services: [{ name: 'web', desired: 'running', observed: 'running', pid: 42, restarts: 0, ports: [8080], health: { ok: false, reason: `probe answered ${around}` }, lastError: secret, note: c }, { name: 'db', observed: c, pid: null, ready: true }] },
    { formatVersion: 1, planHash: 'abc123', actions: [{ op: 'start', service: 'web', reason: `spec changed: env.API_TOKEN ${around}` }], fieldDiffs: { web: [{ field: 'env.API_TOKEN', from: secret, to: around }, { field: 'env.LEVEL', from: a, to: c }] } },
    { formatVersion: 1, valid: false, issues: [{ path: 'services.web.enabled', line: 7, column: 14, message: `must be true or false, got ${JSON.stringify(secret)}` }, { path: 'services.web.cwd', message: `${a} ${escapeControls(secret)} ${b}` }] },
    { formatVersion: 1, service: 'web', lines: [around, ...secret.split('\n'), c, `${secret}${secret}`], truncated: false, grep: a, scanned: 3 },
    { formatVersion: 1, events: [{ at: '2025-01-01T00:00:00.000Z', type: 'probe', service: 'web', kind: 'health', ok: false, reason: around }, { at: '2025-01-01T00:00:01.000Z', type: 'invalid-file', message: `stack.yaml:3:5 ${secret}` }, { at: '2025-01-01T00:00:02.000Z', type: 'reconciled', reason: c, converged: false, failed: [{ service: 'web', error: around }, { service: 'db' }] }], next: '2025-01-01T00:00:02.000Z#1', more: false },
    { error: `stack stop exited 1: ${around}`, exitCode: 1, output: [secret, c], wouldDo: { edited: true, plan: { actions: [[{ deep: [{ deeper: around }] }]] } } },
  ];
}

describe('stack mcp answers hide every secret the stack declared', () => {
  it('StackTools.redacted: secrets of any shape, quoted in any field of any answer, are hidden and nothing else changes; a secret a validated text declares is hidden in that answer', async () => {
    await fc.assert(
      fc.asyncProperty(secretArb, secretArb, fc.boolean(), fc.tuple(fillerArb, fillerArb, fillerArb), async (secret, proposed, listed, fillers) => {
        fc.pre(secret !== proposed);
        const file = scratch(stackYaml(secret, listed));
        const tools = new StackTools({ file, stack: [process.execPath, 'unused'], allow: new Set() });
        const problems: string[] = [];
        for (const body of bodiesWith(secret, fillers)) problems.push(...redactionProblems(body, await tools.redacted(body), needlesOf(secret)));

        // A text proposed, written nowhere: its new secret is hidden in its answer (the file's still is),
        // and not learnt for later answers (a proposed value such as `running` would hide them).
        const validated = await tools.validate(stackYaml(proposed, !listed));
        expect(validated).toMatchObject({ valid: true });
        const both = [...needlesOf(secret), ...needlesOf(proposed)];
        problems.push(...leaksIn(await tools.redacted(validated), both));
        for (const body of bodiesWith(secret, fillers)) problems.push(...redactionProblems(body, await tools.redacted(body), needlesOf(secret)));
        expect(problems).toEqual([]);
      }),
      { numRuns: 80 },
    );
  }, 60_000);

  it('the tools\' own answers: events holding secrets in reason, message and error, a log holding a secret the file no longer declares, a broken proposed text quoting its new secret', async () => {
    await fc.assert(
      fc.asyncProperty(secretArb, secretArb, secretArb, fc.tuple(fillerArb, fillerArb, fillerArb), async (rotated, secret, proposed, fillers) => {
        fc.pre(new Set([rotated, secret, proposed]).size === 3);
        // The file declared `rotated` when the server began, `secret` now.
        const file = scratch(stackYaml(rotated, false));
        const tools = new StackTools({ file, stack: [process.execPath, 'unused'], allow: new Set() });
        // Its first answer holds no string at all: nothing was written yet.
        expect(await tools.redacted(await tools.events())).toEqual({ formatVersion: 1, events: [], more: false });
        writeFileSync(file, stackYaml(secret, true));
        writeLogAndEvents(file, [rotated, secret], fillers);
        const needles = [...needlesOf(rotated), ...needlesOf(secret)];
        const problems: string[] = [];
        const events = await tools.events();
        expect((events.events as unknown[]).length).toBe(4);
        problems.push(...redactionProblems(events, await tools.redacted(events), needles));
        const logs = await tools.logs('web', { lines: 100 });
        expect((logs.lines as unknown[]).length).toBeGreaterThanOrEqual(4);
        problems.push(...leaksIn(await tools.redacted(logs), needles));
        // Not valid, so never learnt: the loader hides what the text itself declares.
        const broken = await tools.validate(stackYaml(proposed, false, `    enabled: ${yamlQuote(proposed)}\n    cwd: ${yamlQuote(`./${proposed}`)}\n`));
        expect(broken).toMatchObject({ valid: false });
        problems.push(...leaksIn(await tools.redacted(broken), [...needles, ...unnamed(needlesOf(proposed), file, broken)]));
        expect(problems).toEqual([]);
      }),
      { numRuns: 60 },
    );
  }, 60_000);

  it('through the server and the SDK\'s client: no text or structuredContent of logs, events, validate (broken, then valid with a new secret) holds a secret it must hide', async () => {
    await fc.assert(
      fc.asyncProperty(secretArb, secretArb, fc.tuple(fillerArb, fillerArb, fillerArb), async (secret, proposed, fillers) => {
        fc.pre(secret !== proposed);
        const file = scratch(stackYaml(secret, false));
        writeLogAndEvents(file, [secret], fillers);
        const { server, tools } = createMcpServer({ file, stack: [process.execPath, 'unused'], allow: new Set(), version: '0' });
        const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
        const client = new Client({ name: 'redaction-property', version: '1' });
        await server.connect(serverSide);
        await client.connect(clientSide);
        try {
          // Each answer's text (JSON: its keys are names, left as they are) and its structuredContent, the same body.
          const call = async (name: string, args: Record<string, unknown>): Promise<unknown[]> => {
            const result = await client.callTool({ name, arguments: args });
            const texts = (result.content as { text: string }[]).map((part) => JSON.parse(part.text) as unknown);
            if (result.structuredContent !== undefined) expect(texts).toEqual([result.structuredContent]);
            return [...texts, result.structuredContent];
          };
          const before = [...(await call('events', {})), ...(await call('logs', { service: 'web' }))];
          const [broken] = await call('validate', { text: stackYaml(proposed, true, `    enabled: ${yamlQuote(proposed)}\n`) });
          expect(broken).toMatchObject({ valid: false });
          // Valid: its secret is hidden in its own answer (the plan it would make).
          const [valid] = await call('validate', { text: stackYaml(proposed, true) });
          expect(valid).toMatchObject({ valid: true });
          writeLogAndEvents(file, [secret], fillers);
          const after = [...(await call('events', {})), ...(await call('logs', { service: 'web', grep: '.' }))];
          const leaks = [
            ...leaksIn(before, needlesOf(secret), 'before'),
            ...leaksIn(broken, [...needlesOf(secret), ...unnamed(needlesOf(proposed), file, broken)], 'broken'),
            ...leaksIn(valid, [...needlesOf(secret), ...needlesOf(proposed)], 'valid'),
            ...leaksIn(after, needlesOf(secret), 'after'),
          ];
          expect(leaks).toEqual([]);
        } finally {
          await client.close();
          await tools.close();
        }
      }),
      { numRuns: 30 },
    );
  }, 60_000);
});
