/**
 * The shape of a saved plan file, checked when `stack apply plan.json` reads one. Apart from
 * saved-plan.ts so that commands that only make or check plans load no zod (~8 ms for `apply`
 * and `plan`, where zod is otherwise not needed).
 */

import { z } from 'zod';
import type { SavedPlan } from './saved-plan.js';

const fileChangesSchema = z.object({ added: z.array(z.string()), changed: z.array(z.string()), removed: z.array(z.string()) });
const fieldChangeSchema = z.object({ field: z.string(), before: z.string().optional(), after: z.string().optional(), sensitive: z.boolean(), files: fileChangesSchema.optional() });
const actionSchema = z.object({
  service: z.string(),
  op: z.enum(['install', 'start', 'stop', 'uninstall']),
  reason: z.string(),
  symbol: z.enum(['+', '~', '-']),
  restart: z.boolean(),
  pulledInBy: z.string().optional(),
  stopsWith: z.string().optional(),
  changes: z.array(fieldChangeSchema).optional(),
});
const blockedSchema = z.object({
  service: z.string(),
  reason: z.string(),
  kind: z.enum(['unknown', 'gave-up', 'port-conflict', 'dependency']).optional(),
  unavailable: z.boolean().optional(),
});
const count = z.number().int().min(0);
const planSchema = z.object({
  formatVersion: z.literal(1),
  project: z.string(),
  actions: z.array(actionSchema),
  blocked: z.array(blockedSchema),
  summary: z.object({ install: count, start: count, restart: count, stop: count, uninstall: count, unknown: count }),
  unchanged: z.array(z.string()),
});
const savedPlanSchema = z.object({
  formatVersion: z.literal(1),
  project: z.string(),
  file: z.string(),
  stackHash: z.string(),
  services: z.record(
    z.string(),
    z.object({ phase: z.string(), pid: z.number().nullable(), appliedSpecHash: z.string().nullable(), desiredSpecHash: z.string().nullable() }),
  ),
  plan: planSchema,
});

/** The saved plan in `value` (parsed JSON), or the reason it is not one. */
export function parseSavedPlan(value: unknown): { plan: SavedPlan } | { error: string } {
  const parsed = savedPlanSchema.safeParse(value);
  if (parsed.success) return { plan: parsed.data as SavedPlan };
  const issue = parsed.error.issues[0];
  return { error: `${issue?.path.join('.') || '(top)'}: ${issue?.message ?? 'not a saved plan'}` };
}
