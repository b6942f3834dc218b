/** What `stack start|stop|enable|disable` write into stack.yaml. Pure: text in, text out. */

import { openStackText, setServiceValueIn } from './edit-stack.js';

export type EditVerb = 'start' | 'stop' | 'enable' | 'disable';

export const EDIT_VERBS: readonly EditVerb[] = ['start', 'stop', 'enable', 'disable'];

interface VerbEdit {
  key: 'state' | 'enabled';
  value: string | boolean;
  /** The value a missing key means: then nothing needs writing. */
  byDefault: string | boolean;
}

const EDITS: Record<EditVerb, VerbEdit> = {
  start: { key: 'state', value: 'running', byDefault: 'running' },
  stop: { key: 'state', value: 'stopped', byDefault: 'running' },
  enable: { key: 'enabled', value: true, byDefault: true },
  disable: { key: 'enabled', value: false, byDefault: true },
};

export function isEditVerb(name: string): name is EditVerb {
  return (EDIT_VERBS as readonly string[]).includes(name);
}

/** `state: stopped`, `enabled: false`: the line a verb asks for, for messages. */
export function describeVerbEdit(verb: EditVerb): string {
  return `${EDITS[verb].key}: ${String(EDITS[verb].value)}`;
}

export interface VerbEditResult {
  text: string;
  /** Services whose entry was edited. */
  edited: string[];
  /** Services that already said so (explicitly or by default): their lines are left alone. */
  already: string[];
}

/**
 * Applies a verb to each named service. A key that already has the value, or is missing and
 * defaults to it (`start` on a service without `state`), is left alone, so the diff holds only
 * lines that mean something. Throws for a name stack.yaml does not declare.
 */
export function applyVerbEdit(text: string, verb: EditVerb, names: readonly string[]): VerbEditResult {
  const { key, value, byDefault } = EDITS[verb];
  let current = text;
  const edited: string[] = [];
  const already: string[] = [];
  for (const name of new Set(names)) {
    // One parse per name, for the look and the edit alike.
    const opened = openStackText(current);
    if (!opened.doc.hasIn(['services', name])) throw new Error(`stack.yaml has no service named "${name}"`);
    const now: unknown = opened.doc.getIn(['services', name, key]);
    if (now === value || (now === undefined && value === byDefault)) {
      already.push(name);
      continue;
    }
    current = setServiceValueIn(opened, current, name, [key], value);
    edited.push(name);
  }
  return { text: current, edited, already };
}
