import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError } from './api.js';
import type { RunResultBody } from '../api/dashboard/protocol.js';

// A change (a verb, an apply) happens only after a confirmation that names what it moves, and
// shows the command's output afterwards, as the terminal would.

interface ConfirmProps {
  title: string;
  /** What moves with it, one line each. */
  lines: string[];
  /** Offer "commit the edit" (verbs that edit stack.yaml). */
  commitOption?: boolean;
  onConfirm: (commit: boolean) => Promise<RunResultBody>;
  onClose: () => void;
}

type Phase = { kind: 'asking' } | { kind: 'running' } | { kind: 'done'; result: RunResultBody } | { kind: 'failed'; message: string };

export function Confirm({ title, lines, commitOption, onConfirm, onClose }: ConfirmProps) {
  const [commit, setCommit] = useState(false);
  const [phase, setPhase] = useState<Phase>({ kind: 'asking' });
  // Escape closes it, as its Cancel button does, except while the command runs.
  useEffect(() => {
    if (phase.kind === 'running') return undefined;
    const onKey = (event: KeyboardEvent) => event.key === 'Escape' && onClose();
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, [phase.kind, onClose]);
  const run = () => {
    setPhase({ kind: 'running' });
    onConfirm(commit).then(
      (result) => setPhase({ kind: 'done', result }),
      (error: unknown) => setPhase({ kind: 'failed', message: error instanceof ApiError || error instanceof Error ? error.message : String(error) }),
    );
  };
  return html`<div class="backdrop">
    <div class="dialog" role="dialog" aria-modal="true" aria-label=${title}>
      <h2>${title}</h2>
      ${lines.map((line) => html`<p class="moves">${line}</p>`)}
      ${phase.kind === 'asking' && commitOption && html`<label class="commit-option"><input type="checkbox" checked=${commit} onChange=${(event: Event) => setCommit((event.target as HTMLInputElement).checked)} /> commit the edit of stack.yaml</label>`}
      ${phase.kind === 'done' && html`<${RunOutput} result=${phase.result} />`}
      ${phase.kind === 'failed' && html`<p class="error">${phase.message}</p>`}
      <div class="buttons">
        ${phase.kind === 'asking' && html`<button class="confirm" onClick=${run}>Confirm</button>`}
        ${phase.kind === 'running' && html`<button class="confirm" disabled>Running…</button>`}
        <button class="cancel" onClick=${onClose} disabled=${phase.kind === 'running'}>${phase.kind === 'asking' ? 'Cancel' : 'Close'}</button>
      </div>
    </div>
  </div>`;
}

export function RunOutput({ result }: { result: RunResultBody }) {
  return html`<div class=${`run-output ${result.exitCode === 0 ? 'ok' : 'bad'}`}>
    <pre>${result.lines.join('\n')}</pre>
    <p>exit code ${result.exitCode}</p>
  </div>`;
}
