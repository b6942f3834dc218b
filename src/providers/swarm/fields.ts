// Pure: what the cluster runs (`docker service inspect`) against what the compose file declares,
// as the plan's field diffs. A secret's values never leave here: its change is named, not shown.
import type { FieldChange } from '../../model/plan.js';
import type { Redact } from '../../model/redact.js';
import { isSensitiveKey } from '../../config/sensitive.js';
import { formatArgv } from '../../reconcile/spec.js';
import type { DeclaredService, UpdateConfig } from './compose-file.js';

/** One service as `docker service inspect` returns it (the parts stack reads). */
export interface InspectedService {
  ID: string;
  Spec: {
    Name: string;
    Labels?: Record<string, string>;
    TaskTemplate: { ContainerSpec: { Image?: string; Command?: string[]; Args?: string[]; Env?: string[] } };
    Mode: { Replicated?: { Replicas?: number }; Global?: object };
    UpdateConfig?: { Parallelism?: number; Delay?: number; Monitor?: number; Order?: string; FailureAction?: string; MaxFailureRatio?: number };
  };
  UpdateStatus?: { State?: string; Message?: string };
}

/** A service of the file as the cluster runs it: the same shape as DeclaredService. */
export function deployedService(name: string, inspected: InspectedService): DeclaredService {
  const container = inspected.Spec.TaskTemplate.ContainerSpec;
  const env: Record<string, string> = {};
  for (const entry of container.Env ?? []) {
    const at = entry.indexOf('=');
    if (at > 0) env[entry.slice(0, at)] = entry.slice(at + 1);
  }
  // The engine leaves zero values out of its JSON (`delay: 0s` has no Delay).
  const config = inspected.Spec.UpdateConfig ?? {};
  const update: UpdateConfig = {
    parallelism: config.Parallelism ?? 0,
    delay: config.Delay ?? 0,
    monitor: config.Monitor ?? 0,
    order: config.Order ?? 'stop-first',
    failureAction: config.FailureAction ?? 'pause',
    maxFailureRatio: config.MaxFailureRatio ?? 0,
  };
  const service: DeclaredService = { name, env, update, envFiles: [] };
  if (container.Image) service.image = withoutDigest(container.Image);
  if (container.Args) service.command = container.Args;
  if (container.Command) service.entrypoint = container.Command;
  if (inspected.Spec.Mode.Replicated) service.replicas = inspected.Spec.Mode.Replicated.Replicas ?? 0;
  return service;
}

// A resolved image (`busybox:latest@sha256:…`) is the image the file names.
function withoutDigest(image: string): string {
  return image.replace(/@sha256:[0-9a-f]+$/, '');
}

/** The compose service's name in its stack: `web` for `shop_web`. */
export function serviceOfStack(stack: string, name: string): string {
  return name.startsWith(`${stack}_`) ? name.slice(stack.length + 1) : name;
}

export interface DriftInput {
  declared: readonly DeclaredService[];
  deployed: readonly DeclaredService[];
  /** The stack service's `sensitive:` keys: their values are never shown. */
  sensitive: readonly string[];
  redact: Redact;
  /** Leave replicas out (the stack is scaled to 0 by `state: stopped`). */
  ignoreReplicas?: boolean;
}

/**
 * What a deploy would change, field by field (`swarm.web.replicas: 5 → 2`), sorted by field. A
 * service of the file not yet deployed shows its image as new; one deployed that the file no
 * longer has shows as removed (`--prune` removes it). Update-config keys the file does not
 * write are left out: the engine fills them with its defaults.
 */
export function driftOf(input: DriftInput): FieldChange[] {
  const changes: FieldChange[] = [];
  const deployed = new Map(input.deployed.map((service) => [service.name, service]));
  for (const want of input.declared) {
    const have = deployed.get(want.name);
    deployed.delete(want.name);
    const before = have ? fieldsOf(have, want.update) : {};
    const after = fieldsOf(want, want.update);
    if (input.ignoreReplicas) {
      delete before.replicas;
      delete after.replicas;
    }
    changes.push(...compare(`swarm.${want.name}.`, before, after, input));
  }
  for (const gone of deployed.values()) changes.push({ field: `swarm.${gone.name}`, before: 'deployed', after: 'removed', sensitive: false });
  return changes.sort((a, b) => (a.field < b.field ? -1 : a.field > b.field ? 1 : 0));
}

/** Flat fields of a service; `update` keys only where `written` has them. */
function fieldsOf(service: DeclaredService, written: UpdateConfig): Record<string, string> {
  const fields: Record<string, string> = {};
  if (service.image !== undefined) fields.image = service.image;
  if (service.command !== undefined) fields.command = formatArgv(service.command);
  if (service.entrypoint !== undefined) fields.entrypoint = formatArgv(service.entrypoint);
  if (service.replicas !== undefined) fields.replicas = String(service.replicas);
  for (const [key, value] of Object.entries(service.env)) fields[`env.${key}`] = value;
  for (const key of Object.keys(written) as (keyof UpdateConfig)[]) {
    const value = service.update[key];
    if (value !== undefined) fields[`update_config.${snake(key)}`] = key === 'delay' || key === 'monitor' ? formatNs(value as number) : String(value);
  }
  return fields;
}

function compare(prefix: string, before: Record<string, string>, after: Record<string, string>, input: DriftInput): FieldChange[] {
  const changes: FieldChange[] = [];
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (before[key] === after[key]) continue;
    const field = prefix + key;
    if (key.startsWith('env.') && isSensitiveKey(key.slice('env.'.length), input.sensitive)) {
      changes.push({ field, sensitive: true });
      continue;
    }
    const change: FieldChange = { field, sensitive: false };
    if (before[key] !== undefined) change.before = input.redact(before[key]);
    if (after[key] !== undefined) change.after = input.redact(after[key]);
    changes.push(change);
  }
  return changes;
}

function snake(key: string): string {
  return key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

/** Nanoseconds as compose writes a duration: `1s`, `500ms`, `1m30s`. */
export function formatNs(ns: number): string {
  if (ns === 0) return '0s';
  if (ns % 1e9 !== 0) return ns % 1e6 === 0 ? `${ns / 1e6}ms` : `${ns}ns`;
  const seconds = ns / 1e9;
  const minutes = Math.floor(seconds / 60);
  return minutes > 0 ? `${minutes}m${seconds % 60 ? `${seconds % 60}s` : ''}` : `${seconds}s`;
}
