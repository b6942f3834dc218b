/**
 * What the state layer has to tell a person without failing: a corrupt state file set aside, a
 * process adopted. Reading the state happens deep below the commands, so it reports here; the
 * default writes one `warning:` line to stderr (never a stack trace), and tests or a command
 * that wants the notices elsewhere swap the listener.
 */
export type StateNoticeListener = (message: string) => void;

const toStderr: StateNoticeListener = (message) => {
  process.stderr.write(`warning: ${message}\n`);
};

let listener: StateNoticeListener = toStderr;

/** Routes notices to `next` until the returned function is called. */
export function onStateNotice(next: StateNoticeListener): () => void {
  const previous = listener;
  listener = next;
  return () => {
    listener = previous;
  };
}

export function stateNotice(message: string): void {
  listener(message);
}
