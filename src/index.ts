/**
 * stack as a library: `loadStack` → `plan` → `apply`, the same steps the CLI takes.
 * @packageDocumentation
 */
export { loadStack, openWorkspace, readApplied, observe, plan, apply } from './api.js';
export type { Workspace, OpenOptions, PlanResult, ApplyOptions } from './api.js';
export { planActions } from './reconcile/plan.js';
export { StackError, ExitCode } from './model/errors.js';
export type { Desired, DesiredService } from './model/desired.js';
export type { Observed, ObservedService, Applied, AppliedService } from './model/observed.js';
export type { Plan, Action } from './model/plan.js';
export type { ApplyOutcome, ServiceOutcome } from './model/outcome.js';
export { connect, ControllerSilent, NoController, NoRoute } from './api/connect.js';
export type { ApiClient, ConnectOptions, LogsOptions, RunOptions, RunResult } from './api/connect.js';
export type * from './api/protocol.js';
