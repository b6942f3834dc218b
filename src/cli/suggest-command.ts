import { isSwap, suggest } from '../config/issues.js';

/**
 * The command a mistyped word most likely meant, for "unknown command". A command that acts
 * (`acting`: starts, stops or edits services, most without a question) is guessed only from a
 * slip of its own letters: two neighbours swapped (`stpo`) or one doubled (`stopp`). A letter
 * missing, added or changed often makes another word that reads as a question (`top`, `stat`,
 * `enabled`, `remote`): guessing an action for it would invite the very thing not meant.
 */
export function suggestCommand(word: string, commands: readonly string[], acting: ReadonlySet<string>): string | undefined {
  const typed = word.toLowerCase();
  const slip = commands.find((command) => acting.has(command) && (isSwap(typed, command) || isDoubled(typed, command)));
  if (slip !== undefined) return slip;
  return suggest(typed, commands.filter((command) => !acting.has(command)));
}

/** `typed` is `command` with one of its letters typed twice. */
function isDoubled(typed: string, command: string): boolean {
  if (typed.length !== command.length + 1) return false;
  let at = 0;
  while (at < command.length && typed[at] === command[at]) at += 1;
  return at > 0 && typed[at] === typed[at - 1] && typed.slice(at + 1) === command.slice(at);
}

/** What stack prints for a word that is no command: commander's wording, with our guess. */
export function unknownCommandMessage(word: string, guess: string | undefined): string {
  return [`error: unknown command '${word}'`, ...(guess === undefined ? [] : [`(Did you mean ${guess}?)`]), '(run `stack --help` for usage)'].join('\n');
}
