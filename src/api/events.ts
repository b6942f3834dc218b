import { dirname } from 'node:path';
import { statePaths } from '../state/paths.js';

export { readJournal as readEventJournal, type EventQuery, type JournalEvent } from '../engine/supervise/event-journal.js';

/** Where the controller of the stack in `file` keeps its events: `.stack/events.log`. */
export function eventsFileOf(file: string): string {
  return statePaths(dirname(file)).eventsFile;
}
