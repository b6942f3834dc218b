// `GET /v1/plan`, `POST /v1/apply` and `POST /v1/services/{verb}` (docs/api.md): each holds the
// controller's turn (`exclusive`) from its first look to its last line, so no pass and no other
// run acts meanwhile; a verb holds it across its edit and its apply.
import type { Controller, Snapshot } from '../engine/supervise/controller.js';
import { applyVerbEdit, type VerbEditResult } from '../config/verb-edits.js';
import { verbNotes } from '../config/verb-notes.js';
import { ExitCode, StackError } from '../model/errors.js';
import type { Desired } from '../model/desired.js';
import type { Applied } from '../model/observed.js';
import type { Plan } from '../model/plan.js';
import { monotonicMs } from '../os/monotonic.js';
import { planActions } from '../reconcile/plan.js';
import { restartable } from '../reconcile/plan-restart.js';
import { planToJson } from '../reconcile/render-json.js';
import { NOTHING_DONE, outcomeToJson, runExitCode } from '../reconcile/run-result.js';
import { checkSavedPlan, createSavedPlan, type SavedPlan } from '../reconcile/saved-plan.js';
import { commitFile, prepareCommit } from './gitops.js';
import { HandedPlans, planHashOf } from './handed-plans.js';
import { hashFile } from './plan-file.js';
import type { ApplyRequest, PlanBody, RunLine, ServiceVerb, VerbRequest } from './protocol.js';
import { ApiError, errorBody, type Exchange, type LineOf } from './server-http.js';
import { parseApplyRequest, parseVerbRequest } from './server-requests.js';
import { editStackFile } from './stack-file-edit.js';
import { readStackFile } from './stack-file.js';
import { expandReplicaNames } from '../config/replicas.js';

export class Runs {
  private readonly handed = new HandedPlans();

  constructor(private readonly controller: Controller) {}

  /** `GET /v1/plan[?target=…]`: the plan, its hash, and the plan as `plan -o` saves it. */
  async plan(exchange: Exchange): Promise<void> {
    const targets = exchange.url.searchParams.getAll('target');
    exchange.processing();
    await this.turn(exchange, async () => {
      const { plan, saved } = await this.planAfresh(exchange, targets.length > 0 ? targets : undefined);
      const planHash = this.handed.remember({ saved, targets: targets.length > 0 ? targets : undefined });
      const body: PlanBody = { ...planToJson(plan), planHash, saved };
      exchange.json(200, body);
    });
  }

  /** `POST /v1/apply`: afresh, or exactly the plan handed out for `planHash`, or exactly `saved`. */
  async apply(exchange: Exchange): Promise<void> {
    exchange.processing();
    const request = parseApplyRequest(await exchange.body());
    await this.turn(exchange, () =>
      this.told('stack apply', exchange, async () => {
        const { plan, saved, snapshot } = request.saved ? await this.checkSaved(exchange, request.saved, request) : await this.planToApply(exchange, request);
        exchange.stream();
        return this.carryOut(exchange, plan, saved, snapshot, request.removeVolumes === true);
      }),
    );
  }

  /** `POST /v1/services/{verb}`: the edit (committed with `commit`), then an apply of those services. */
  async verb(exchange: Exchange, verb: ServiceVerb): Promise<void> {
    exchange.processing();
    const request = parseVerbRequest(await exchange.body(), verb);
    await this.turn(exchange, () =>
      this.told(`stack ${verb}`, exchange, async () => {
        if (verb === 'restart') return this.restart(exchange, request.services, request.rolling === true);
        await this.edit(exchange, verb, request);
        const { plan, saved, snapshot } = await this.planAfresh(exchange, request.services);
        return this.carryOut(exchange, plan, saved, snapshot);
      }),
    );
  }

  private async edit(exchange: Exchange, verb: Exclude<ServiceVerb, 'restart'>, request: VerbRequest): Promise<void> {
    const { file } = this.controller.current;
    const desired = await readStackFile(file, { cached: true });
    checkNames(desired, new Map(), request.services);
    // Checked before anything is written: a refusal leaves the file as it was.
    const target = request.commit ? await prepareCommit(file, { force: request.force, verbose: this.controller.workspaceNow.ctx.verbose }) : undefined;
    let result: VerbEditResult = { text: '', edited: [], already: [] };
    await editStackFile(file, (text) => (result = applyVerbEdit(text, verb, request.services)).text);
    const commit = target && result.edited.length > 0 ? await commitFile(target, request.message ?? `stack: ${verb} ${request.services.join(' ')}`) : undefined;
    exchange.stream();
    this.line(exchange, { type: 'edit', edited: result.edited, already: result.already, ...(commit ? { commit } : {}), warnings: verbNotes(verb, request.services, desired.services) });
  }

  /**
   * `stack restart`: stop then start, now, whatever they gave up on; a disabled service cannot
   * (exit 1). No names: every service that runs (`restartable`), as the snapshot found them.
   */
  private async restart(exchange: Exchange, written: string[], rolling: boolean): Promise<number> {
    const stackHash = await hashFile(this.controller.current.file);
    const snapshot = await this.controller.refresh(exchange.gone);
    const names = checkNames(snapshot.desired, snapshot.applied, written);
    const disabled = names.filter((name) => !snapshot.desired.services.find((service) => service.name === name)?.enabled);
    if (disabled.length > 0) throw new StackError(ExitCode.actionFailed, `cannot restart ${disabled.join(', ')}: disabled or not in stack.yaml`, { hint: 'enable it in stack.yaml (or `stack enable`) first' });
    const chosen = names.length > 0 ? names : restartable(snapshot.desired, snapshot.observed);
    const plan = await this.controller.planRestart(chosen, snapshot.observed, { rolling });
    exchange.stream();
    return this.carryOut(exchange, plan, createSavedPlan(plan, { ...snapshot, stackHash }), snapshot);
  }

  /** The stack file hashed first: if it changes while the controller observes, the plan is stale, never wrongly fresh. */
  private async planAfresh(exchange: Exchange, targets: string[] | undefined): Promise<{ plan: Plan; saved: SavedPlan; snapshot: Snapshot; stackHash: string }> {
    const stackHash = await hashFile(this.controller.current.file);
    const snapshot = await this.controller.refresh(exchange.gone);
    if (targets) checkNames(snapshot.desired, snapshot.applied, targets);
    const plan = planActions(snapshot.desired, snapshot.observed, snapshot.applied, { targets });
    return { plan, saved: createSavedPlan(plan, { ...snapshot, stackHash }), snapshot, stackHash };
  }

  private async planToApply(exchange: Exchange, request: ApplyRequest): Promise<{ plan: Plan; saved: SavedPlan; snapshot: Snapshot }> {
    if (request.planHash === undefined) return this.planAfresh(exchange, request.targets);
    const handed = this.handed.get(request.planHash);
    if (!handed) throw new ApiError(409, `no plan with hash ${request.planHash} was handed out by this controller (or too many since)`, ExitCode.actionFailed, 'plan again (GET /v1/plan) and apply that');
    const fresh = await this.planAfresh(exchange, handed.targets);
    if (planHashOf(fresh.saved) === request.planHash) return fresh;
    const problems = checkSavedPlan(handed.saved, { ...fresh.snapshot, stackHash: fresh.stackHash });
    const what = problems.length > 0 ? problems.join('; ') : 'planning again gives another plan';
    throw new ApiError(409, `the plan changed since it was made: ${what}`, ExitCode.actionFailed, 'plan again (GET /v1/plan) and apply that');
  }

  /** `apply plan.json`: exactly the saved plan, refused when anything it was made from moved. */
  private async checkSaved(exchange: Exchange, saved: SavedPlan, request: ApplyRequest): Promise<{ plan: Plan; saved: SavedPlan; snapshot: Snapshot }> {
    if (request.targets) throw new StackError(ExitCode.actionFailed, 'targets cannot narrow a saved plan', { hint: 'save a narrowed plan with `stack plan -t <service> -o <file>`' });
    const stackHash = await hashFile(this.controller.current.file);
    const snapshot = await this.controller.refresh(exchange.gone);
    const problems = checkSavedPlan(saved, { ...snapshot, stackHash });
    if (problems.length > 0) throw new ApiError(409, `the saved plan is stale: ${problems.join('; ')}`, ExitCode.actionFailed, 'make a new one with `stack plan -o <file>` (or apply afresh)');
    return { plan: saved.plan, saved, snapshot };
  }

  /** The plan line, a progress line per service as it begins and ends, and the result; resolves with the exit code. */
  private async carryOut(exchange: Exchange, plan: Plan, saved: SavedPlan, snapshot: Snapshot, removeVolumes = false): Promise<number> {
    const planJson = planToJson(plan);
    this.line(exchange, { type: 'plan', plan: planJson, saved });
    if (plan.actions.length > 0) this.controller.say(`carrying out through the API: ${plan.actions.map((action) => `${action.op} ${action.service}`).join(', ')}`);
    const began = monotonicMs();
    const outcome = plan.actions.length === 0 ? NOTHING_DONE : await this.controller.carryOut(plan, snapshot.observed, {
      signal: exchange.gone,
      onProgress: (event) => this.line(exchange, { type: 'progress', event }),
      removeVolumes,
    });
    const elapsed = plan.actions.length === 0 ? 0 : monotonicMs() - began;
    const outcomeJson = outcomeToJson(outcome, elapsed);
    const exitCode = runExitCode(planJson, outcomeJson, outcome.unrecorded !== undefined);
    if (outcome.unrecorded) this.controller.say(`what was done is not recorded: ${outcome.unrecorded}`);
    this.line(exchange, { type: 'result', project: snapshot.desired.project, plan: planJson, outcome: outcomeJson, exitCode });
    exchange.end();
    return exitCode;
  }

  /** `work` in the controller's turn, unless its client went while it waited for it. */
  private turn(exchange: Exchange, work: () => Promise<void>): Promise<void> {
    return this.controller.exclusive(async () => {
      if (!exchange.gone.aborted) await work();
    });
  }

  /** A run as events: `run` when it begins and when it ends, with its exit code (also when refused). */
  private async told(by: string, exchange: Exchange, run: () => Promise<number>): Promise<void> {
    this.controller.events.emit({ type: 'run', by });
    try {
      const exitCode = await run();
      this.controller.events.emit({ type: 'run', by, exitCode });
    } catch (error) {
      this.controller.events.emit({ type: 'run', by, exitCode: exchange.gone.aborted ? ExitCode.interrupted : errorBody(error).body.error.exitCode });
      throw error;
    }
  }

  private line(exchange: Exchange, line: LineOf<RunLine>): void {
    exchange.line({ formatVersion: 1, ...line });
  }
}

/**
 * Exit 4 when a named service is neither in stack.yaml nor recorded (as the CLI says it); else
 * the names meant, a service with replicas meaning each of them.
 */
export function checkNames(desired: Desired, applied: Applied, names: readonly string[]): string[] {
  const known = new Set([...desired.services.map((service) => service.name), ...applied.keys()]);
  const meant = expandReplicaNames([...known], names);
  const unknown = meant.filter((name) => !known.has(name));
  if (unknown.length === 0) return meant;
  throw new StackError(ExitCode.serviceNotFound, `no service named ${unknown.map((name) => `"${name}"`).join(', ')} in ${desired.file}`, { hint: `services: ${[...known].join(', ') || '(none)'}` });
}
