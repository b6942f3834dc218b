import { request, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import type { Workspace } from '../engine/workspace.js';
import { ExitCode, StackError } from '../model/errors.js';
import type { StatusRow } from '../reconcile/status-rows.js';
import type { PoolEvent } from '../engine/supervise/service-pool.js';
import { API_SOCKET, statePaths } from '../state/paths.js';

/** `GET /v1/status` (docs/api.md). */
export interface ApiStatus {
  formatVersion: 1;
  project: string;
  controller: { pid: number };
  services: StatusRow[];
}

/** One line of `GET /v1/events`; the first is `following`: every event after it is seen. */
export type ApiEvent = (PoolEvent | { type: 'following'; pid: number }) & { formatVersion: 1; at: string };

export interface ApiClient {
  status(services?: readonly string[]): Promise<ApiStatus>;
  /** Follows the controller's events until the loop is left (or the controller ends). */
  events(): AsyncIterable<ApiEvent>;
  /** Asks the controller to end; resolves once it accepted (it closes after). */
  stop(): Promise<void>;
}

/**
 * A client of the running controller's API, for a workspace or a stack's folder (the one holding
 * stack.yaml). Calls reject with a StackError when no controller answers (docs/api.md, "A stale socket").
 */
export function connect(target: Workspace | string): ApiClient {
  const socketPath = join(typeof target === 'string' ? statePaths(target).dir : target.paths.dir, API_SOCKET);
  return {
    async status(services = []) {
      const query = services.map((name) => `service=${encodeURIComponent(name)}`).join('&');
      return JSON.parse(await readBody(await call(socketPath, 'GET', `/v1/status${query ? `?${query}` : ''}`))) as ApiStatus;
    },
    events: () => follow(socketPath),
    async stop() {
      await readBody(await call(socketPath, 'POST', '/v1/stop'));
    },
  };
}

function call(socketPath: string, method: string, path: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const sent = request({ socketPath, method, path }, (response) => {
      if ((response.statusCode ?? 500) < 400) return resolve(response);
      void readBody(response).then((text) => {
        const body = JSON.parse(text) as { error?: { message?: string; exitCode?: number } };
        reject(new StackError((body.error?.exitCode ?? ExitCode.actionFailed) as ExitCode, body.error?.message ?? `status ${response.statusCode}`));
      }, reject);
    });
    sent.once('error', (error: NodeJS.ErrnoException) => {
      const gone = error.code === 'ECONNREFUSED' || error.code === 'ENOENT';
      reject(gone ? new StackError(ExitCode.actionFailed, `no controller answers on ${socketPath} (${error.code})`) : error);
    });
    sent.end();
  });
}

async function readBody(response: IncomingMessage): Promise<string> {
  let text = '';
  response.setEncoding('utf8');
  for await (const chunk of response) text += chunk as string;
  return text;
}

async function* follow(socketPath: string): AsyncGenerator<ApiEvent> {
  const response = await call(socketPath, 'GET', '/v1/events');
  response.setEncoding('utf8');
  let pending = '';
  try {
    for await (const chunk of response) {
      pending += chunk as string;
      let end;
      while ((end = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, end);
        pending = pending.slice(end + 1);
        if (line.trim()) yield JSON.parse(line) as ApiEvent;
      }
    }
  } finally {
    // Leaving the loop early closes the stream: the controller forgets this follower.
    response.destroy();
  }
}
