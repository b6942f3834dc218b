import { dependentsOf } from './graph.js';
import type { DesiredService } from '../model/desired.js';
import type { EditVerb } from './verb-edits.js';

/**
 * What `stack start|stop|enable|disable` tells besides the edit (the CLI prints each after
 * `note: `): a disabled service that `start` cannot run, and what stops with a stopped service.
 * Pure.
 */
export function verbNotes(verb: EditVerb, names: readonly string[], services: readonly DesiredService[]): string[] {
  return [...disabledNotes(verb, names, services), ...dependentNotes(verb, names, services)];
}

// `stack start web` on a disabled service edits `state` but cannot run it: say what would.
function disabledNotes(verb: EditVerb, names: readonly string[], services: readonly DesiredService[]): string[] {
  if (verb !== 'start') return [];
  const disabled = names.filter((name) => services.find((service) => service.name === name)?.enabled === false);
  if (disabled.length === 0) return [];
  const one = disabled.length === 1;
  return [`${disabled.join(', ')} ${one ? 'is' : 'are'} disabled (enabled: false); \`stack enable ${disabled.join(' ')}\` runs ${one ? 'it' : 'them'}`];
}

// `stack stop db` stops what depends on db too (it cannot run without it), though the file still
// declares those running; `stack start db` starts them again.
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
