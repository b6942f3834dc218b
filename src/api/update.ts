/**
 * `stack update`: what is newer than what stack.yaml pins and the services run: a git plugin's
 * ref moved on (its newest commit, `git ls-remote`), a compose service's image pulled (its
 * containers run an older one). The plan that takes the newer in is reconcile/plan-update.ts.
 */

import { pinCommits, type Pin } from '../config/update-edits.js';
import type { Desired, DesiredService } from '../model/desired.js';
import type { Plan } from '../model/plan.js';
import type { Applied, Observed } from '../model/observed.js';
import { digestServiceFiles, workspaceOf, type Workspace } from '../engine/workspace.js';
import { newestCommit } from '../load/git-plugin.js';
import { readStack } from '../load/read-stack.js';
import { PROVIDERS } from '../providers/registry.js';
import { planUpdate } from '../reconcile/plan-update.js';
import { findStack, type FindOptions } from './stack-file.js';
import { observe, readApplied } from '../api.js';

/** One thing newer than what runs or is pinned. */
export interface Newer {
  service: string;
  kind: 'plugin' | 'image';
  /** The plugin's URL and ref, or the image's name. */
  what: string;
  /** The commit pinned now (none: unpinned), or the image id running. */
  from?: string;
  to: string;
}

export interface UpdatesFound {
  newer: Newer[];
  /** What could not be fetched but did not stop the rest (a pull of a local-only image). */
  warnings: string[];
  /** What the answer stands on, each once (UpdateFound.notes). */
  notes: string[];
}

/**
 * stack.yaml loaded for `stack update`: a git plugin that is not pinned yet (or whose commit is
 * not fetched) is no error here, since pinning it is what the command is for.
 */
export async function openForUpdate(options: FindOptions & { verbose?: (line: string) => void } = {}): Promise<Workspace> {
  const env = options.env ?? process.env;
  const file = findStack({ ...options, env });
  return workspaceOf(await readStack(file, { providers: PROVIDERS, env, checkPlugins: false }), options.verbose);
}

/**
 * Asks each named service (none: every one) what is newer: a git plugin its remote (enabled or
 * not: a pin is a pin), an enabled compose service the engine, pulling first when `fetch`. A git
 * remote that cannot be read or lacks the ref throws (exit 1); a failed pull is a warning.
 */
export async function findUpdates(workspace: Workspace, names: readonly string[], options: { fetch: boolean; signal?: AbortSignal }): Promise<UpdatesFound> {
  const chosen = new Set(names);
  const services = workspace.desired.services.filter((service) => chosen.size === 0 || chosen.has(service.name));
  const found = await Promise.all(services.map((service) => updatesOf(workspace, service, options.fetch, options.signal ?? new AbortController().signal)));
  return { newer: found.flatMap((each) => each.newer), warnings: found.flatMap((each) => each.warnings), notes: [...new Set(found.flatMap((each) => each.notes))] };
}

async function updatesOf(workspace: Workspace, service: DesiredService, fetch: boolean, signal: AbortSignal): Promise<UpdatesFound> {
  const git = service.plugin?.git;
  if (git) {
    const to = await newestCommit(service.name, git, workspace.ctx.verbose);
    const what = `${git.url}${git.ref === undefined ? '' : ` (${git.ref})`}`;
    return { newer: to === git.commit ? [] : [{ service: service.name, kind: 'plugin', what, ...(git.commit ? { from: git.commit } : {}), to }], warnings: [], notes: [] };
  }
  if (!service.enabled) return { newer: [], warnings: [], notes: [] };
  const provider = await workspace.providers.get(service.provider);
  if (!provider.update) return { newer: [], warnings: [], notes: [] };
  const found = await provider.update(service, { fetch }, { ...workspace.ctx, signal });
  return { newer: found.newer.map((each) => ({ service: service.name, kind: 'image', what: each.what, from: each.from, to: each.to })), warnings: found.warnings, notes: found.notes ?? [] };
}

/** The pins `newer` asks for: each git plugin's new commit. */
export function pinsOf(newer: readonly Newer[]): Pin[] {
  return newer.filter((each) => each.kind === 'plugin').map((each) => ({ service: each.service, commit: each.to }));
}

export interface UpdatePlan {
  /** stack.yaml as it will be written (the pins moved). */
  text: string;
  /** The stack that text declares (its new commits fetched into `.stack/plugins/`). */
  workspace: Workspace;
  plan: Plan;
  observed: Observed;
  applied: Applied;
}

/**
 * The plan of an update, before anything is written: stack.yaml's text with the new pins loaded
 * as proposed, planned for the pinned services, plus a restart of each running service whose
 * image is newer. The caller holds the lock.
 */
export async function planUpdateOf(workspace: Workspace, text: string, found: UpdatesFound): Promise<UpdatePlan> {
  const pins = pinsOf(found.newer);
  const proposedText = pinCommits(text, pins);
  const proposed: Desired = await readStack(workspace.desired.file, { providers: PROVIDERS, text: proposedText });
  const next = workspaceOf(proposed, workspace.ctx.verbose);
  await digestServiceFiles(next);
  const applied = await readApplied(next);
  const observed = await observe(next, applied);
  const restarts = new Map<string, string>();
  for (const each of found.newer) {
    if (each.kind !== 'image') continue;
    const earlier = restarts.get(each.service);
    const line = `image updated: ${each.what} ${shortId(each.from)} → ${shortId(each.to)}`;
    restarts.set(each.service, earlier ? `${earlier}; ${line}` : line);
  }
  const plan = planUpdate(next.desired, observed, applied, { changed: pins.map((pin) => pin.service), restarts });
  return { text: proposedText, workspace: next, plan, observed, applied };
}

/** `sha256:0123456789abcdef…` → `0123456789ab`; a commit → its first 12 digits. */
export function shortId(id: string | undefined): string {
  if (id === undefined) return '(none)';
  return id.split(', ').map((one) => one.replace(/^sha256:/, '').slice(0, 12)).join(', ');
}
