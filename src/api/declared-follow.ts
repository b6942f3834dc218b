import { pause } from '../os/pause.js';

/** How often `stack logs -f` (no names) looks for services added to or removed from stack.yaml. */
export const DECLARED_POLL_MS = 1000;

/**
 * `stack logs -f` with no names: follows the services stack.yaml declares as it changes. Every
 * `DECLARED_POLL_MS`, the services `declared()` names now are compared with those `following`
 * (each with the controller that lets it go, as the caller started it): a
 * new one is followed from its first line (`follow(name, signal)`), one removed (or disabled)
 * is let go (its signal aborts). Ends when `signal` aborts; a `declared()` that throws (the
 * file is being saved, or invalid) keeps what is followed.
 */
export async function followDeclared(following: Map<string, AbortController>, declared: () => Promise<readonly string[]> | readonly string[], follow: (name: string, signal: AbortSignal) => Promise<unknown>, signal: AbortSignal): Promise<void> {
  const running: Promise<unknown>[] = [];
  while (!signal.aborted) {
    await pause(DECLARED_POLL_MS, signal);
    if (signal.aborted) break;
    let now: ReadonlySet<string>;
    try {
      now = new Set(await declared());
    } catch {
      continue;
    }
    for (const [name, stop] of following) {
      if (now.has(name)) continue;
      stop.abort();
      following.delete(name);
    }
    for (const name of now) {
      if (following.has(name)) continue;
      const stop = new AbortController();
      following.set(name, stop);
      running.push(follow(name, AbortSignal.any([signal, stop.signal])).catch(() => undefined));
    }
  }
  await Promise.all(running);
}

