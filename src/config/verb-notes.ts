/**
 * What `stack start|stop|enable|disable` tell beside the edit, as `note:` lines: the same whether
 * stack carries the verb out or a controller does (its `edit` line's `warnings`). Pure.
 */
import type { DesiredService } from '../model/desired.js';
import { dependentsOf } from './graph.js';
import type { EditVerb } from './verb-edits.js';

/** Every note of `verb` on `names`, in the order they are said, without the `note: `. */
export function verbNotes(verb: EditVerb, names: readonly string[], services: readonly DesiredService[]): string[] {
  return [...disabledNotes(verb, names, services), ...dependentNotes(verb, names, services)];
}

// `stack stop db` stops what depends on db too, with a controller or without (it cannot run
// without it), though the file still declares those running; `stack start db` starts them again.
function dependentNotes(verb: EditVerb, names: readonly string[], services: readonly DesiredService[]): string[] {
  if (verb !== 'stop' && verb !== 'disable') return [];
  const stopped = new Set(names);
  const going = dependentsOf(services.filter((service) => (service.enabled && service.state === 'running') || stopped.has(service.name)), stopped);
  const undo = verb === 'stop' ? 'start' : 'enable';
  return services
    .filter((service) => going.has(service.name))
    .map((dependent) => {
      const dep = dependent.dependsOn.find((name) => stopped.has(name) || going.has(name)) as string;
      return `${dependent.name} depends on ${dep}: it stops with ${dep} and starts again with \`stack ${undo} ${names.join(' ')}\` (\`stack stop ${dependent.name}\` keeps it stopped)`;
    });
}

// `stack start web` on a disabled service edits `state` but cannot run it: say what would.
function disabledNotes(verb: EditVerb, names: readonly string[], services: readonly { name: string; enabled: boolean }[]): string[] {
  if (verb !== 'start') return [];
  const disabled = names.filter((name) => services.find((service) => service.name === name)?.enabled === false);
  if (disabled.length === 0) return [];
  return [`${disabled.join(', ')} ${disabled.length === 1 ? 'is' : 'are'} disabled (enabled: false); \`stack enable ${disabled.join(' ')}\` runs ${disabled.length === 1 ? 'it' : 'them'}`];
}
