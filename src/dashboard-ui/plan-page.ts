import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { getJson, postJson } from './api.js';
import { Confirm } from './confirm.js';
import type { DashPlanBody, RunResultBody } from '../api/dashboard/protocol.js';

// What `stack plan` would do now, with each service's field diffs, and apply behind a
// confirmation. Apply carries out exactly the plan shown (its `planHash`): a plan gone stale
// meanwhile is refused (409) and the preview is read again.

const OP_MARK: Record<string, string> = { install: '+', start: '+', restart: '~', stop: '-', uninstall: '-', forget: '-' };

export function PlanPage({ pendingKey }: { pendingKey: string }) {
  const [plan, setPlan] = useState<DashPlanBody | undefined>(undefined);
  const [failure, setFailure] = useState<string | undefined>(undefined);
  const [asking, setAsking] = useState(false);
  // Read again whenever the services a plan would move change (an edit of stack.yaml, a crash),
  // and once the confirmation closes; not while it is open: what it asks about stays the plan shown
  // (the server reads a plan asked for during the apply after it).
  useEffect(() => {
    if (asking) return;
    getJson<DashPlanBody>('/api/v1/plan').then(
      (body) => {
        setPlan(body);
        setFailure(undefined);
      },
      (error: Error) => setFailure(error.message),
    );
  }, [pendingKey, asking]);
  if (failure) return html`<section class="plan"><p class="error">${failure}</p></section>`;
  if (!plan) return html`<section class="plan"><p class="loading">planning…</p></section>`;
  const apply = (): Promise<RunResultBody> => postJson<RunResultBody>('/api/v1/apply', { planHash: plan.planHash });
  const close = () => setAsking(false);
  return html`<section class="plan">
    ${plan.actions.length === 0 ? html`<p class="empty">Nothing to do: what runs is what stack.yaml says.</p>` : html`<ul class="actions">
      ${plan.actions.map((action) => html`<li class=${`action op-${action.op}`} data-service=${action.service}>
        <span class="mark">${OP_MARK[action.op] ?? '•'}</span> <strong>${action.op}</strong> ${action.service} <span class="reason">${action.reason}</span>
        ${fieldDiffOf(plan, action) && html`<pre class="field-diff">${fieldDiffOf(plan, action)?.join('\n')}</pre>`}
      </li>`)}
    </ul>`}
    ${plan.blocked.length > 0 && html`<h3>Blocked</h3><ul class="blocked">${plan.blocked.map((entry) => html`<li class="tone-bad">${entry.service}: ${entry.reason}</li>`)}</ul>`}
    <button class="apply" disabled=${plan.actions.length === 0} onClick=${() => setAsking(true)}>Apply</button>
    ${asking && html`<${Confirm} title=${`Apply ${plan.actions.length} action${plan.actions.length === 1 ? '' : 's'}?`}
      lines=${plan.actions.map((action) => `${OP_MARK[action.op] ?? '•'} ${action.op} ${action.service}`)} onConfirm=${apply} onClose=${close} />`}
  </section>`;
}

/** The field diffs the server put under this action (under a service's first action that changes fields). */
function fieldDiffOf(plan: DashPlanBody, action: DashPlanBody['actions'][number]): string[] | undefined {
  return plan.fieldDiffs.find((diff) => diff.service === action.service && diff.op === action.op)?.lines;
}
