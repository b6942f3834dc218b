/** What `stack update` writes into stack.yaml: each git plugin's new commit. Pure: text in, text out. */

import { setServiceValueText } from './edit-stack.js';

export interface Pin {
  service: string;
  commit: string;
}

/** Sets `plugin.commit` of each service, every other byte (comments, quotes, layout) as written. */
export function pinCommits(text: string, pins: readonly Pin[]): string {
  return pins.reduce((current, pin) => setServiceValueText(current, pin.service, ['plugin', 'commit'], pin.commit), text);
}
