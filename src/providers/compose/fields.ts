// Pure: the compose spec back from what the state file recorded.
import type { ComposeSpec } from './spec.js';
import { recordedList } from '../recorded-fields.js';

/**
 * The compose spec stack recorded when it applied the service, for a stop or `down` after it
 * left stack.yaml. Sensitive env values were recorded as digests and are left out.
 */
export function composeSpecFromFields(fields: Readonly<Record<string, string>>): ComposeSpec | undefined {
  const file = fields['compose.file'];
  const project = fields['compose.project'];
  if (file === undefined || project === undefined) return undefined;
  const list = (key: string): string[] => recordedList(fields, key);
  const scale: Record<string, number> = {};
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (key.startsWith('compose.scale.')) scale[key.slice('compose.scale.'.length)] = Number(value);
    if (key.startsWith('compose.env.') && !value.startsWith('sha:')) env[key.slice('compose.env.'.length)] = value;
  }
  return { file, project, services: list('compose.services'), profiles: list('compose.profiles'), scale, wait: false, env };
}
