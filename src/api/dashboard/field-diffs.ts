import pc from 'picocolors';
import type { Plan } from '../../model/plan.js';
import { renderFieldChanges } from '../../reconcile/render-field-diff.js';
import type { DashPlanBody } from './protocol.js';

const colors = pc.createColors(false);

/**
 * The lines `stack plan` shows under a service's first action that changes fields, once per
 * service, uncoloured (the page colours them). Sensitive values never: their fields say
 * `(sensitive)` (tests/reconcile/redaction.property.test.ts).
 */
export function fieldDiffsOf(plan: Plan): DashPlanBody['fieldDiffs'] {
  return plan.actions
    .filter((action, index, actions) => (action.changes?.length ?? 0) > 0 && actions.findIndex((each) => each.service === action.service && each.changes) === index)
    .map((action) => ({ service: action.service, op: action.op, lines: renderFieldChanges(action.changes ?? [], colors).map((line) => line.trimStart()) }));
}
