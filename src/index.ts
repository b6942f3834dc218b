/**
 * stack as a library: `loadStack` → `plan` → `apply`, the same steps the CLI takes.
 * @packageDocumentation
 */
export { loadStack, openWorkspace, readApplied, observe, plan, apply } from './api.js';
export type { Workspace, OpenOptions, PlanResult, ApplyOptions } from './api.js';
export { planActions } from './reconcile/plan.js';
export { StackError, ExitCode } from './errors.js';
export type { Desired, DesiredService } from './config/types.js';
export type { Plan, Action, Observed, ObservedService, Applied, AppliedService } from './reconcile/types.js';
export type { ApplyOutcome, ServiceOutcome } from './reconcile/execute.js';
