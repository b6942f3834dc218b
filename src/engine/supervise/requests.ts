import { readdir, rename, rm, writeFile } from 'node:fs/promises';
import { ensureOwnDir, readOwnText } from '../../os/safe-file.js';
import { join } from 'node:path';
import { ExitCode, StackError } from '../../model/errors.js';
import type { Clock } from '../../model/clock.js';
import { systemClock } from '../../os/clock.js';
import type { ApplyOutcome } from '../../model/outcome.js';

/** What another stack process asks a running controller to do. */
export interface ControllerRequest {
  id: string;
  op: 'restart';
  services: string[];
}

export interface ControllerResponse {
  ok: boolean;
  lines: string[];
}

const requestsDir = (stateDir: string) => join(stateDir, 'requests');

/**
 * Hands a request to the controller that holds the lock, through files in `.stack/requests/`,
 * and waits for its answer: commands that would act behind its back go through it instead.
 */
export async function submitRequest(
  stateDir: string,
  request: Omit<ControllerRequest, 'id'>,
  options: { timeoutMs: number; isAlive: () => Promise<boolean> },
  clock: Clock = systemClock,
): Promise<ControllerResponse> {
  const dir = requestsDir(stateDir);
  await ensureOwnDir(stateDir);
  await ensureOwnDir(dir);
  const id = `${clock.now()}-${process.pid}`;
  await writeFile(join(dir, `${id}.tmp`), JSON.stringify({ ...request, id }), { flag: 'wx' });
  await rename(join(dir, `${id}.tmp`), join(dir, `${id}.request.json`));
  const answer = join(dir, `${id}.response.json`);
  const deadline = clock.monotonicMs() + options.timeoutMs;
  while (clock.monotonicMs() < deadline) {
    const text = await readOwnText(answer).catch(() => undefined);
    if (text !== undefined) {
      await rm(answer, { force: true });
      return JSON.parse(text) as ControllerResponse;
    }
    if (!(await options.isAlive())) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await rm(join(dir, `${id}.request.json`), { force: true });
  throw new StackError(ExitCode.actionFailed, 'the controller did not answer the request', { hint: 'see its log; `stack status` shows whether it still runs' });
}

/** The controller's side: requests waiting, oldest first, each taken once. */
export async function takeRequests(stateDir: string): Promise<ControllerRequest[]> {
  const dir = requestsDir(stateDir);
  const names = (await readdir(dir).catch(() => [] as string[])).filter((name) => name.endsWith('.request.json')).sort();
  const taken: ControllerRequest[] = [];
  for (const name of names) {
    const text = await readOwnText(join(dir, name)).catch(() => undefined);
    await rm(join(dir, name), { force: true });
    if (text) taken.push(JSON.parse(text) as ControllerRequest);
  }
  return taken;
}

export async function answerRequest(stateDir: string, id: string, response: ControllerResponse): Promise<void> {
  const dir = requestsDir(stateDir);
  await writeFile(join(dir, `${id}.tmp`), JSON.stringify(response), { flag: 'wx' });
  await rename(join(dir, `${id}.tmp`), join(dir, `${id}.response.json`));
}

/**
 * The controller's side of `.stack/requests/`: requests are taken every 100 ms and handed to
 * `onTaken` (which asks for a pass); the pass serves them first, one after another.
 */
export class HandedRequests {
  private readonly pending: ControllerRequest[] = [];
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly stateDir: string,
    private readonly onTaken: (reason: string) => void,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.take(), 100);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Each waiting request restarted by `restart`, and answered with how it went. */
  async serve(restart: (services: string[]) => Promise<ApplyOutcome>): Promise<void> {
    for (const request of this.pending.splice(0)) {
      const outcome = await restart(request.services);
      await answerRequest(this.stateDir, request.id, {
        ok: outcome.failed === 0,
        lines: outcome.services.map((service) => `${service.service}: ${service.ops.join(', ')} ${service.status}${service.error ? `: ${service.error}` : ''}`),
      });
    }
  }

  private async take(): Promise<void> {
    const requests = await takeRequests(this.stateDir).catch(() => []);
    if (requests.length === 0) return;
    this.pending.push(...requests);
    this.onTaken(`requested: ${requests.map((request) => `${request.op} ${request.services.join(' ')}`).join('; ')}`);
  }
}
