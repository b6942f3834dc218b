import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ExitCode } from '../../model/errors.js';
import type { SavedPlan } from '../../reconcile/saved-plan.js';
import { planToJson } from '../../reconcile/render-json.js';
import { planHashOf } from '../handed-plans.js';
import { fieldDiffsOf } from './field-diffs.js';
import type { ServiceVerb } from '../protocol.js';
import { runStackCommand, type StackCommand } from '../stack-command.js';
import type { DashPlanBody, RunResultBody } from './protocol.js';
import { DashError, statusOfCode } from './reply.js';

export const VERBS: readonly ServiceVerb[] = ['start', 'stop', 'restart', 'enable', 'disable'];

/** Plans remembered by hash: the page applies the plan it was just shown. */
const REMEMBERED = 16;
/** Lines of a run's output kept for its answer. */
const RUN_LINES = 500;

/**
 * The dashboard's plan, apply and verbs: the commands a person would type (`stack plan -o`,
 * `stack apply <plan>`, `stack stop web`), one at a time, on the stack file resolved once, as
 * `stack top`'s keys run them. They go through the running controller when one answers, as the
 * commands do. What apply carries out is exactly the plan shown, or nothing (stale: 409).
 *
 * A plan waits for the run under way and is then read (pages asking meanwhile share it); a change
 * (apply, a verb) while another change runs or waits is refused (409): a second click is not a
 * second change.
 */
export class DashRuns {
  private readonly plans = new Map<string, string>();
  private running?: StackCommand;
  /** The runs in turn: the last one's end (never rejects). */
  private turn: Promise<unknown> = Promise.resolve();
  private waitingPlan?: Promise<DashPlanBody>;
  private changing = false;
  private closed = false;
  private counter = 0;
  private dir?: string;

  /** `stack`: how this stack was started (`[node, bin/stack.cjs]`). */
  constructor(
    private readonly file: string,
    private readonly stack: readonly string[],
  ) {}

  /** `stack plan -o`: the plan, its hash, and the field diffs `stack plan` shows under each action. */
  plan(): Promise<DashPlanBody> {
    if (this.waitingPlan) return this.waitingPlan;
    const plan = this.inTurn(() => {
      this.waitingPlan = undefined;
      return this.planNow();
    });
    this.waitingPlan = plan;
    return plan;
  }

  private async planNow(): Promise<DashPlanBody> {
    this.dir ??= mkdtempSync(join(tmpdir(), 'stack-dashboard-'));
    const path = join(this.dir, `plan-${(this.counter += 1)}.json`);
    const result = await this.run(['plan', '--detailed-exitcode', '-o', path]);
    if (result.exitCode !== ExitCode.ok && result.exitCode !== ExitCode.changesPending) throw failure('stack plan', result);
    const saved = JSON.parse(readFileSync(path, 'utf8')) as SavedPlan;
    const planHash = planHashOf(saved);
    this.remember(planHash, path);
    return { ...planToJson(saved.plan), planHash, fieldDiffs: fieldDiffsOf(saved.plan) };
  }

  /** `stack apply --yes <the plan shown>`: 409 when it is not one handed out, or is stale. */
  async apply(planHash: unknown): Promise<RunResultBody> {
    if (typeof planHash !== 'string') throw new DashError(400, 'apply takes { "planHash": "sha256:…" } (GET /api/v1/plan gives it)');
    const path = this.plans.get(planHash);
    if (path === undefined) throw new DashError(409, 'no plan with this hash was shown (or too many since): plan again');
    const result = await this.change(['apply', '--yes', path]);
    if (result.exitCode === ExitCode.actionFailed && result.lines.some((line) => / is stale: /.test(line))) {
      throw new DashError(409, `the plan changed since it was shown: ${result.lines.find((line) => / is stale: /.test(line))?.replace(/^error: /, '') ?? ''}`);
    }
    return result;
  }

  /** `stack <verb> <name> [--commit]`: edits stack.yaml (not `restart`) and applies it. */
  async verb(verb: string, name: string, commit: unknown): Promise<RunResultBody> {
    if (!VERBS.includes(verb as ServiceVerb)) throw new DashError(404, `no such verb: ${verb} (${VERBS.join(', ')})`);
    if (commit !== undefined && typeof commit !== 'boolean') throw new DashError(400, '"commit" is true or false');
    // A name is never read as an option: service names begin with a letter or a digit.
    if (!/^[A-Za-z0-9][\w.-]*$/.test(name)) throw new DashError(404, `no service named "${name}"`, ExitCode.serviceNotFound);
    const result = await this.change([verb, name, ...(commit ? ['--commit'] : [])]);
    if (result.exitCode === ExitCode.serviceNotFound || result.exitCode === ExitCode.invalidConfig) throw failure(`stack ${verb}`, result);
    return result;
  }

  /** Interrupts a run under way, as Ctrl+C would, and waits for it to end; runs still waiting do not begin. */
  async close(): Promise<void> {
    this.closed = true;
    this.running?.interrupt();
    await this.turn;
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }

  /** A run that changes the stack: refused while another change runs or waits. */
  private async change(args: readonly string[]): Promise<RunResultBody> {
    if (this.changing) throw new DashError(409, 'another change is under way: wait for it to end');
    this.changing = true;
    try {
      return await this.inTurn(() => this.run(args));
    } finally {
      this.changing = false;
    }
  }

  /** `work` once every run before it has ended. */
  private inTurn<T>(work: () => Promise<T>): Promise<T> {
    const begin = () => (this.closed ? Promise.reject(new DashError(503, 'the dashboard is stopping')) : work());
    const result = this.turn.then(begin, begin);
    this.turn = result.catch(() => undefined);
    return result;
  }

  private async run(args: readonly string[]): Promise<RunResultBody> {
    try {
      const lines: string[] = [];
      const command = await runStackCommand(this.stack, [...args, '-f', this.file], {
        cwd: dirname(this.file),
        onLine: (line) => {
          lines.push(line);
          if (lines.length > RUN_LINES) lines.splice(0, lines.length - RUN_LINES);
        },
      });
      this.running = command;
      const exitCode = await command.done;
      return { formatVersion: 1, exitCode, lines };
    } finally {
      this.running = undefined;
    }
  }

  private remember(hash: string, path: string): void {
    this.plans.set(hash, path);
    for (const [old, file] of this.plans) {
      if (this.plans.size <= REMEMBERED) break;
      this.plans.delete(old);
      rmSync(file, { force: true });
    }
  }
}

/** A command that failed before doing anything: its error line, with the status its exit code means. */
function failure(label: string, result: RunResultBody): DashError {
  return new DashError(statusOfCode(result.exitCode), problemSaid(result.lines, `${label} exited ${result.exitCode}`), result.exitCode);
}

/**
 * What a command said went wrong: its `error:` line, and an invalid stack.yaml's first problem
 * with its place (`stack.yaml:8:1: …`, on the lines after it); else its first line, or `otherwise`.
 */
export function problemSaid(lines: readonly string[], otherwise: string): string {
  const at = lines.findIndex((line) => line.startsWith('error'));
  if (at < 0) return lines.find((line) => line.trim() !== '') ?? otherwise;
  const where = lines.slice(at + 1).find((line) => /^\S+:\d+:\d+: /.test(line.trim()));
  return [(lines[at] as string).replace(/^error: /, ''), where?.trim()].filter(Boolean).join(': ');
}
