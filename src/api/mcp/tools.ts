import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { apiSocketOf, eventsFileOf, loadStack, openWorkspace, readEventJournal, type JournalEvent } from '../../api.js';
import { redactorOf } from '../../config/secrets.js';
import { currentText, loadProposal, planProposal, unreadIn, type Proposal } from './proposal.js';
import { applyVerbEdit } from '../../config/verb-edits.js';
import { hideSecretScalars } from '../../config/hide-secret-scalars.js';
import { issuesToJson } from '../../config/issues.js';
import { MAX_STACK_FILE_BYTES } from '../../config/limits.js';
import type { Desired } from '../../model/desired.js';
import { ExitCode, StackError } from '../../model/errors.js';
import { redactDeep } from '../../model/redact-deep.js';
import { planToJson } from '../../reconcile/render-json.js';
import { existsSync } from 'node:fs';
import { fieldDiffsOf } from '../dashboard/field-diffs.js';
import { DashRuns, problemSaid } from '../dashboard/runs.js';
import { followLogLinesHere } from '../live-sources.js';
import { logMatchOf, timeOption } from '../log-match.js';
import type { LogLine } from '../../model/log-line.js';
import type { RunResultBody } from '../dashboard/protocol.js';
import type { EventBody, ServiceVerb } from '../protocol.js';
import { SecretsSeen } from '../secrets-seen.js';
import { runStackCommand } from '../stack-command.js';

/** What `stack mcp --allow` may permit: `edit` the verbs (they edit stack.yaml and carry it out), `apply` a plan shown. */
export type Permission = 'edit' | 'apply';
export const PERMISSIONS: readonly Permission[] = ['edit', 'apply'];

/** Lines a log tool call reads at most; and what it returns at most, in bytes. */
export const MAX_LOG_LINES = 10_000;
export const MAX_LOG_BYTES = 1024 * 1024;
const DEFAULT_LOG_BYTES = 64 * 1024;
/** Events one call returns at most. */
export const MAX_EVENTS = 1000;

/** A call the server will not carry out, and how to allow it: the agent reads why. */
export class Refused extends Error {
  constructor(
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export interface ToolsOptions {
  /** stack.yaml, absolute. */
  file: string;
  /** How this stack was started (`[node, bin/stack.cjs]`): changes run as the commands a person types. */
  stack: readonly string[];
  allow: ReadonlySet<Permission>;
}

/**
 * What `stack mcp` does for an agent (docs/mcp.md): read-only looks, in-process or as the
 * `--json` commands (through the running controller when one answers, as those commands do),
 * and the changes a person would type (`stack stop web`, `stack apply <plan>`) when allowed.
 * Everything returned passes the redactor of every secret the file declared since the server began.
 */
export class StackTools {
  private readonly runs: DashRuns;
  private readonly secrets = new SecretsSeen();
  private desired?: Desired;
  /** The last plan shown (the `stack://plan/last` resource). */
  lastPlan?: Record<string, unknown>;

  constructor(private readonly options: ToolsOptions) {
    this.runs = new DashRuns(options.file, options.stack);
  }

  /** `value` with every secret seen hidden, field by field; stack.yaml is loaded again first (its secrets may have changed). */
  async redacted<T>(value: T): Promise<T> {
    this.desired = await loadStack({ file: this.options.file }).catch(() => this.desired);
    // Learnt now, not at the first string: an answer without one (no events yet) must not let the file's secret go unseen.
    this.secrets.redact('', this.desired);
    return redactDeep(value, (text) => this.secrets.redact(text, this.desired));
  }

  async status(services: readonly string[] = []): Promise<Record<string, unknown>> {
    return this.json(['status', '--json', ...services.map(serviceName)], 'stack status');
  }

  async plan(): Promise<Record<string, unknown>> {
    const body = { ...(await this.runs.plan()) } as Record<string, unknown>;
    this.lastPlan = body;
    return body;
  }

  /**
   * stack.yaml as `text` would make it, written nowhere: its issues, or valid and the plan it would
   * make now. The text is an agent's: it reads only what stack.yaml reads and runs nothing (proposal.ts).
   */
  async validate(text: string): Promise<Record<string, unknown>> {
    if (Buffer.byteLength(text) > MAX_STACK_FILE_BYTES) throw new Refused(`the text is larger than stack.yaml may be (${MAX_STACK_FILE_BYTES} bytes)`);
    let proposal: Proposal;
    try {
      proposal = await loadProposal(this.options.file, text);
    } catch (error) {
      const unread = unreadNote(unreadIn(await currentText(this.options.file), text));
      if (error instanceof StackError && error.code === ExitCode.invalidConfig) return { formatVersion: 1, valid: false, issues: issuesToJson(error.issues.length > 0 ? error.issues : [{ path: '', message: error.message }]), ...unread };
      throw error;
    }
    const { desired, unread } = proposal;
    const planned = await planProposal(this.options.file, desired);
    // Its secrets hidden in this answer; not learnt for the others (a value such as `running` would hide them).
    return redactDeep({
      formatVersion: 1,
      valid: true,
      services: desired.services.map((service) => service.name),
      warnings: issuesToJson(desired.warnings ?? []),
      ...unreadNote(unread),
      plan: { ...planToJson(planned), fieldDiffs: fieldDiffsOf(planned) },
    }, redactorOf(desired));
  }

  async diff(from?: string, to?: string): Promise<Record<string, unknown>> {
    // Exit 2 says the two differ: the body says how.
    const revisions = [from, to].filter((revision) => revision !== undefined).map(revisionName);
    return this.json(['diff', ...revisions, '--json'], 'stack diff', [ExitCode.ok, ExitCode.changesPending]);
  }

  async check(): Promise<Record<string, unknown>> {
    // Exit 1 is a check that failed: the body says which.
    return this.json(['check', '--json'], 'stack check', [ExitCode.ok, ExitCode.actionFailed]);
  }

  /** A service's last lines (read `since`, matching `grep` (RE2: linear time), only stderr's), the newest that fit in `maxBytes`. */
  async logs(service: string, asked: McpLogQuery = {}): Promise<Record<string, unknown>> {
    const { lines = 100, grep, stderr, maxBytes = DEFAULT_LOG_BYTES } = asked;
    const desired = await loadStack({ file: this.options.file });
    if (!desired.services.some((each) => each.name === service)) throw new Refused(`stack.yaml declares no service "${service}"`, { exitCode: ExitCode.serviceNotFound });
    const since = asked.since === undefined ? undefined : refusedIfBad(() => timeOption(asked.since as string, 'since'));
    const match = await logMatchOf({ grep, stderr }).catch((error: unknown) => {
      throw new Refused(`grep is not a pattern RE2 takes: ${error instanceof Error ? error.message.replace(/^--grep takes a pattern in RE2's syntax: /, '') : String(error)}`);
    });
    const matching = await this.logLines(service, { lines, since, grep, stderr, match });
    const kept: LogLine[] = [];
    let bytes = 0;
    for (let index = matching.length - 1; index >= 0; index -= 1) {
      const line = matching[index] as LogLine;
      bytes += Buffer.byteLength(line.text) + 1;
      if (bytes > maxBytes) break;
      kept.unshift(line);
    }
    const shown = kept.map(({ text, stream, at }) => ({ text, stream, ...(at === undefined ? {} : { at }) }));
    return { formatVersion: 1, service, lines: shown, truncated: kept.length < matching.length, ...(grep === undefined ? {} : { grep }), ...(since === undefined ? {} : { since: since.toISOString() }) };
  }

  /**
   * The controller's kept events after `cursor` (an opaque string a call returned), oldest first;
   * `next` is the cursor to ask with next time.
   */
  async events(cursor?: string, services: readonly string[] = [], limit = 200): Promise<Record<string, unknown>> {
    const after = cursor === undefined ? undefined : parseCursor(cursor);
    const all = await this.keptEvents(after?.at, services);
    // Those at the cursor's time that an earlier call returned come first: skipped.
    let skip = after?.seen ?? 0;
    const unseen = all.filter((event) => !(skip > 0 && event.at === after?.at && (skip -= 1) >= 0));
    const events = unseen.slice(0, Math.min(limit, MAX_EVENTS));
    const last = events.at(-1);
    const next = last ? cursorOf(last.at, all.slice(0, all.indexOf(last) + 1).filter((event) => event.at === last.at).length) : cursor;
    return { formatVersion: 1, events, ...(next === undefined ? {} : { next }), more: unseen.length > events.length };
  }

  /** `stack <verb> <service> [--commit]`, allowed by `--allow edit`; otherwise what it would change, and how to allow it. */
  async verb(verb: ServiceVerb, service: string, commit = false): Promise<Record<string, unknown>> {
    if (!this.options.allow.has('edit')) throw new Refused(`${verb} is not allowed: stack mcp was started without the edit permission`, { howToAllow: howToAllow('edit'), wouldDo: await this.preview(verb, service) });
    return succeeded(await this.runs.verb(verb, service, commit));
  }

  /** `stack apply` of exactly the plan `plan` showed with this hash, allowed by `--allow apply`; refused when stale. */
  async apply(planHash: string): Promise<Record<string, unknown>> {
    if (!this.options.allow.has('apply')) throw new Refused('apply is not allowed: stack mcp was started without the apply permission', { howToAllow: howToAllow('apply'), plan: await this.planShown(planHash) });
    return succeeded(await this.runs.apply(planHash));
  }

  /** The plan shown with `planHash`, or else the plan now (none when it cannot be made): what apply would carry out. */
  private async planShown(planHash: string): Promise<Record<string, unknown> | null> {
    if (this.lastPlan?.planHash === planHash) return this.lastPlan;
    return this.plan().catch(() => null);
  }

  async stackFileText(): Promise<string> {
    return readFile(this.options.file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      throw new StackError(ExitCode.noStackFile, error.code === 'ENOENT' ? `stack file ${this.options.file} not found` : `stack file ${this.options.file} cannot be read (${error.code ?? error.message})`);
    });
  }

  /** stack.yaml for the agent to read: every scalar holding a secret written `(sensitive)` as YAML decodes it (escaped forms too); the caller redacts the text as well. */
  async stackFileShown(): Promise<string> {
    const text = await this.stackFileText();
    await this.redacted('');
    return hideSecretScalars(text, this.secrets.values());
  }

  async close(): Promise<void> {
    await this.runs.close();
  }

  /** What a verb would change: stack.yaml's edit and the plan it would make (restart edits nothing: it stops and starts now). */
  private async preview(verb: ServiceVerb, service: string): Promise<Record<string, unknown>> {
    if (verb === 'restart') return { restart: service, note: 'stops and starts it now, as `stack restart` does; stack.yaml is not edited' };
    const edited = applyVerbEdit(await this.stackFileText(), verb, [service]);
    return { edited: edited.edited, already: edited.already, ...(await this.validate(edited.text)) };
  }

  private async logLines(service: string, query: { lines: number; since: Date | undefined; grep: string | undefined; stderr: boolean | undefined; match: ((line: LogLine) => boolean) | undefined }): Promise<LogLine[]> {
    const read: LogLine[] = [];
    const signal = new AbortController().signal;
    const { lines, since, grep, stderr, match } = query;
    if (existsSync(apiSocketOf(this.options.file))) {
      const { connect, NoController } = await import('../connect.js');
      try {
        for await (const line of connect(dirname(this.options.file)).logs({ services: [service], lines, since, grep, stderr, follow: false })) {
          if (line.type === 'line') read.push({ text: line.text, stream: line.stream ?? 'stdout', ...(line.at === undefined ? {} : { at: line.at }) });
        }
        return read;
      } catch (error) {
        if (!(error instanceof NoController)) throw error;
      }
    }
    const workspace = await openWorkspace({ file: this.options.file });
    await followLogLinesHere(workspace, service, signal, (more) => read.push(...more), () => workspace.ctx.redact, { lines, follow: false, since, match });
    return read;
  }

  private async keptEvents(since: string | undefined, services: readonly string[]): Promise<JournalEvent[]> {
    const query = { ...(since === undefined ? {} : { since }), services };
    if (existsSync(apiSocketOf(this.options.file))) {
      const { connect, NoController } = await import('../connect.js');
      try {
        const events: JournalEvent[] = [];
        for await (const event of connect(dirname(this.options.file)).events({ ...query, follow: false })) {
          if (event.type === 'following') break;
          const { formatVersion: _version, ...kept } = event as EventBody & { type: JournalEvent['type'] };
          events.push(kept as JournalEvent);
        }
        return events;
      } catch (error) {
        if (!(error instanceof NoController)) throw error;
      }
    }
    return readEventJournal(eventsFileOf(this.options.file), query);
  }

  /** A `--json` command's body; a failure is its error line, refused. */
  private async json(args: string[], label: string, okCodes: readonly number[] = [ExitCode.ok]): Promise<Record<string, unknown>> {
    const out: string[] = [];
    const said: string[] = [];
    const command = await runStackCommand(this.options.stack, [...args, '-f', this.options.file], { cwd: dirname(this.options.file), onStdout: (line) => out.push(line), onLine: (line) => said.push(line) });
    const code = await command.done;
    if (!okCodes.includes(code)) throw jsonFailure(said, code) ?? new Refused(problemSaid(said, `${label} exited ${code}`), { exitCode: code, output: said.slice(0, 20) });
    return JSON.parse(out.join('\n')) as Record<string, unknown>;
  }
}

/** A run the command ended with a failure is an error for the agent: its first problem (with its place) and what it printed. */
function succeeded(result: RunResultBody): Record<string, unknown> {
  if (result.exitCode === ExitCode.ok) return { ...result };
  throw new Refused(problemSaid(result.lines, `the command exited ${result.exitCode}`), { exitCode: result.exitCode, lines: result.lines });
}

/** How the person who starts the server allows `permission`. */
function howToAllow(permission: Permission): string {
  return `start the server with \`stack mcp --allow ${permission}\` (or \`--allow edit,apply\`), or write \`mcp: { allow: [${permission}] }\` in stack.yaml and start it again`;
}

/** The variables a proposed text names that stack.yaml does not, said: they were read as unset. */
function unreadNote(unread: readonly string[]): Record<string, unknown> {
  if (unread.length === 0) return {};
  return { unread, note: `read as unset: ${unread.join(', ')} (stack.yaml does not use them, and a proposed text is not shown the server's environment)` };
}

/** A `--json` command's error (`{"error": {message, hint, issues}}` on stderr), as the agent reads it: the message with the first issue's place. */
function jsonFailure(said: readonly string[], code: number): Refused | undefined {
  let body: { error?: { message?: unknown; hint?: unknown; issues?: { message?: unknown; file?: unknown; line?: unknown; column?: unknown }[] } };
  try {
    body = JSON.parse(said.join('\n')) as typeof body;
  } catch {
    return undefined;
  }
  const { message, hint, issues = [] } = body.error ?? {};
  if (typeof message !== 'string') return undefined;
  const first = issues[0];
  const where = first && typeof first.message === 'string' ? `: ${[first.file, first.line, first.column].filter((part) => part !== undefined).join(':')}: ${first.message}` : '';
  return new Refused(`${message}${where}`, { exitCode: code, ...(typeof hint === 'string' ? { hint } : {}), ...(issues.length > 1 ? { issues: issues.slice(0, 20) } : {}) });
}

/** A service name as an argument: never read as an option (names begin with a letter or a digit). */
function serviceName(name: string): string {
  if (!/^[A-Za-z0-9][\w.-]*$/.test(name)) throw new Refused(`not a service name: ${JSON.stringify(name)}`, { exitCode: ExitCode.serviceNotFound });
  return name;
}

/** A git revision as an argument: never an option (`--output=…`), no spaces or control characters. */
function revisionName(revision: string): string {
  if (!/^[\w./~^@{}:-]+$/.test(revision) || revision.startsWith('-')) throw new Refused(`not a git revision: ${JSON.stringify(revision)}`);
  return revision;
}

/** An events cursor: the time of the last event returned and how many at that time were returned. */
function cursorOf(at: string, seen: number): string {
  return `${at}#${seen}`;
}

function parseCursor(cursor: string): { at: string; seen: number } {
  const match = /^(\d{4}-\d\d-\d\dT[\d:.]+Z)#(\d+)$/.exec(cursor);
  if (!match) throw new Refused(`not a cursor an events call returned: ${JSON.stringify(cursor)}`);
  return { at: match[1] as string, seen: Number(match[2]) };
}

/** What the `logs` tool is asked. */
export interface McpLogQuery {
  lines?: number | undefined;
  since?: string | undefined;
  grep?: string | undefined;
  stderr?: boolean | undefined;
  maxBytes?: number | undefined;
}

/** A value the agent gave that does not parse: refused with its reason. */
function refusedIfBad<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new Refused(error instanceof Error ? error.message : String(error));
  }
}
