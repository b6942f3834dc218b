import { existsSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { apiSocketOf, controllerOfStack, findStack } from '../api.js';
import type { ApiClient } from '../api/connect.js';
import { streams, type GlobalOptions } from './context.js';

/**
 * Where a command meets a running controller (docs/api.md): it asks the controller's API when one
 * answers on `.stack/api.sock`, and otherwise works daemonless as it always did. The client
 * (node:http) loads only when the socket file is there.
 */
export async function throughController<T>(options: GlobalOptions, ask: (api: ApiClient) => Promise<T>, otherwise: string): Promise<T | undefined> {
  const file = findStack({ file: options.file });
  const socketPath = apiSocketOf(file);
  if (!existsSync(socketPath)) return undefined;
  const { connect, ControllerSilent, NoController, NoRoute } = await import('../api/connect.js');
  try {
    const answer = await ask(connect(dirname(file)));
    skipCodeCache();
    return answer;
  } catch (error) {
    // A socket file left by a controller that is gone, or an older controller: stack works as without its API.
    if (error instanceof NoController || error instanceof NoRoute) return undefined;
    if (!(error instanceof ControllerSilent)) throw error;
    const holder = await controllerOfStack(file);
    const who = holder ? `the controller (pid ${holder.pid})` : 'the controller';
    const near = relative(process.cwd(), socketPath);
    streams.stderr.write(`warning: ${who} does not answer on ${near.length < socketPath.length ? near : socketPath}; ${otherwise}\n`);
    return undefined;
  }
}

/**
 * A command a controller carried out ran a small part of the CLI: bin/stack.cjs must not save
 * the code cache of this run, or every later run of the command without a controller would
 * compile the rest again (measured: status of 50, +25 ms).
 */
function skipCodeCache(): void {
  (globalThis as Record<symbol, unknown>)[Symbol.for('stack.skipCodeCache')] = true;
}
