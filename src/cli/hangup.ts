import { closeSync, openSync } from 'node:fs';
import { isatty } from 'node:tty';

/**
 * The terminal going away (a closed tmux window or ssh session): SIGHUP says so, and so does a
 * write to it failing with EIO, which is all a process learns when the signal went to another
 * process group. The entry point tells this object; a command that acts listens while it can
 * wind down as on Ctrl+C. Once the terminal is gone, what is written to it is dropped.
 */
export class Hangup {
  private readonly listeners = new Set<() => void>();
  private happened = false;

  get hungUp(): boolean {
    return this.happened;
  }

  /** Runs `listener` on the hang-up (at once when it already happened); returns how to stop listening. */
  listen(listener: () => void): () => void {
    if (this.happened) queueMicrotask(listener);
    else this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Says the terminal is gone (once; later calls do nothing). False when no command was listening. */
  fire(): boolean {
    if (this.happened) return true;
    this.happened = true;
    const listening = [...this.listeners];
    this.listeners.clear();
    for (const listener of listening) listener();
    return listening.length > 0;
  }
}

export const hangup = new Hangup();

/**
 * At exit, Node restores the terminal modes it saved for stdin, stdout and stderr, and aborts
 * (`Assertion failed … node::ResetStdio()`) when that fails because the terminal is gone. Each of
 * those descriptors that was a terminal at start and no longer is gets /dev/null instead, which
 * Node then leaves alone. Call with the descriptors that were terminals when the process began.
 */
export function detachDeadTerminal(terminals: readonly number[]): void {
  for (const fd of terminals) {
    if (isatty(fd)) continue;
    try {
      closeSync(fd);
      // The lowest free descriptor: this one, unless a lower one was closed too (then Node
      // finds this one closed, which it skips as well).
      const opened = openSync('/dev/null', 'r+');
      if (opened !== fd) closeSync(opened);
    } catch {
      // Already closed: Node skips a closed descriptor too.
    }
  }
}

/** The standard descriptors that are terminals now. */
export function standardTerminals(): number[] {
  return [0, 1, 2].filter((fd) => isatty(fd));
}
