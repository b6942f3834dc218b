/** Every secret value of a stack, for redacting free text. Pure. */

import { createRedactor, isSensitiveKey, type Redact } from './sensitive.js';
import type { Desired, DesiredService } from '../model/desired.js';

// A loaded stack is never changed afterwards; its redactor is made once.
const redactors = new WeakMap<Pick<Desired, 'services'>, Redact>();

/** Replaces every secret value of the stack in free text (errors, log lines, command lines). */
export function redactorOf(desired: Pick<Desired, 'services'>): Redact {
  let redact = redactors.get(desired);
  if (!redact) {
    redact = createRedactor(collectSecrets(desired));
    redactors.set(desired, redact);
  }
  return redact;
}

/** The secret values of every service: sensitive env values and interpolated sensitive variables. */
export function collectSecrets(desired: Pick<Desired, 'services'>): string[] {
  return [...new Set(desired.services.flatMap(secretsOf))];
}

export function secretsOf(service: DesiredService): string[] {
  const found = new Set(service.secrets ?? []);
  for (const env of [service.process?.env, service.compose?.env, service.plugin?.env]) {
    for (const [key, value] of Object.entries(env ?? {})) if (value !== '' && isSensitiveKey(key, service.sensitive)) found.add(value);
  }
  return [...found];
}
