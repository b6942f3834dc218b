import { ExitCode } from '../model/errors.js';
import { parseSavedPlan } from '../reconcile/saved-plan-schema.js';
import type { ApplyRequest, ServiceVerb, VerbRequest } from './protocol.js';
import { ApiError } from './server-http.js';

// The bodies clients post, checked field by field: a wrong one is a 400 (exit 1) saying which field.

const bad = (message: string) => new ApiError(400, message, ExitCode.actionFailed);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function names(value: unknown, field: string): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) throw bad(`${field} must be a list of service names`);
  return value as string[];
}

function optional(body: Record<string, unknown>, field: string, type: 'string'): string | undefined;
function optional(body: Record<string, unknown>, field: string, type: 'boolean'): boolean | undefined;
function optional(body: Record<string, unknown>, field: string, type: 'string' | 'boolean'): unknown {
  if (body[field] !== undefined && typeof body[field] !== type) throw bad(`${field} must be a ${type}`);
  return body[field];
}

export function parseApplyRequest(body: unknown): ApplyRequest {
  if (!isRecord(body)) throw bad('the body must be a JSON object (ApplyRequest)');
  const planHash = optional(body, 'planHash', 'string');
  const removeVolumes = optional(body, 'removeVolumes', 'boolean');
  const targets = names(body.targets, 'targets');
  let saved: ApplyRequest['saved'];
  if (body.saved !== undefined) {
    const parsed = parseSavedPlan(body.saved);
    if ('error' in parsed) throw bad(`saved is not a plan saved by \`stack plan -o\`: ${parsed.error}`);
    saved = parsed.plan;
  }
  if (planHash !== undefined && saved !== undefined) throw bad('give planHash or saved, not both');
  return { ...(planHash === undefined ? {} : { planHash }), ...(saved ? { saved } : {}), ...(targets ? { targets } : {}), ...(removeVolumes === undefined ? {} : { removeVolumes }) };
}

/** `restart` alone takes no services (every one that runs) and `rolling`. */
export function parseVerbRequest(body: unknown, verb: ServiceVerb): VerbRequest {
  if (!isRecord(body)) throw bad('the body must be a JSON object (VerbRequest)');
  const services = names(body.services, 'services') ?? [];
  if (services.length === 0 && verb !== 'restart') throw bad('services must name at least one service');
  const commit = optional(body, 'commit', 'boolean');
  const message = optional(body, 'message', 'string');
  const force = optional(body, 'force', 'boolean');
  const rolling = optional(body, 'rolling', 'boolean');
  if (rolling !== undefined && verb !== 'restart') throw bad('rolling is for restart only');
  return {
    services,
    ...(commit === undefined ? {} : { commit }),
    ...(message === undefined ? {} : { message }),
    ...(force === undefined ? {} : { force }),
    ...(rolling === undefined ? {} : { rolling }),
  };
}
