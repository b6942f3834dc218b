/**
 * `stack status [--json] [service...]` while a controller runs, answered from its API before the
 * CLI's bundle loads (bin/stack.cjs, built alone as dist/fast-status.cjs): no commander, no read
 * of stack.yaml, no yaml or zod, not even node:http (~12 ms to load; one GET needs none of it).
 * Issue 25 wants this call within 1.2× `node -e 0`, and loading the bundle alone costs more.
 * Anything it does not expect (another option, no socket, no answer, an error status, a name
 * the controller does not know) gives `undefined`: the CLI then runs as usual and says why.
 */
import { statSync } from 'node:fs';
import { controllerPathsOf, getOverUnixSocket, parseHttpAnswer, recordedLockOwner, type ControllerPaths, type UnixHttpAnswer } from '../api/controller-socket.js';
import type { StatusBody } from '../api/protocol.js';
import { useColor } from './color.js';
import { actingNotice } from './acting-notice.js';
import { renderStatusJson, renderStatusTable } from './status-view.js';

/** A controller answers in a few ms; one that does not by then is left to the full path (a stopped controller: docs/api.md). */
const ANSWER_TIMEOUT_MS = 1000;

export interface StatusArgs {
  file?: string;
  json: boolean;
  /** `-o wide`: the controller's CPU, memory and command columns too. */
  wide: boolean;
  color: boolean;
  names: string[];
}

/** Prints the status and returns the exit code, or `undefined` when the full CLI must run. */
export async function fastStatus(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number | undefined> {
  const parsed = env.STACK_NO_FAST_STATUS ? undefined : parseStatusArgs(args);
  if (!parsed) return undefined;
  let paths: ControllerPaths;
  try {
    paths = controllerPathsOf({ file: parsed.file, env });
  } catch {
    return undefined;
  }
  if (!statSync(paths.socket, { throwIfNoEntry: false })?.isSocket()) return undefined;
  const body = bodyOfAnswer(await askStatus(paths.socket, parsed.names));
  // A name the controller does not know: the full path names what is declared (exit 4).
  // stack.yaml does not load: the full path says why, with its line and column (exit 5).
  if (!body || body.stackFileError !== undefined || !parsed.names.every((name) => body.services.some((row) => row.name === name))) return undefined;
  // The note the full path gives (the lock's holder), said of the controller that answered.
  const holder = recordedLockOwner(paths.lockFile);
  if (holder?.pid !== body.controller?.pid) return undefined;
  const notice = actingNotice(holder);
  if (!parsed.json) process.stderr.write(`${notice}\n`);
  const text = parsed.json ? renderStatusJson(body.project, body.services, notice) : renderStatusTable(body.services, { color: useColor(parsed), now: Date.now(), wide: parsed.wide, ...(parsed.wide && process.stdout.isTTY ? { width: process.stdout.columns } : {}) });
  // As the full CLI: a closed pipe (`stack status | head -1`) ends a reading command quietly.
  process.stdout.once('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') process.stderr.write(`stack: cannot write the output: ${error.message}\n`);
    process.exit(error.code === 'EPIPE' ? 0 : 1);
  });
  process.stdout.write(text);
  return 0;
}

/**
 * The arguments of a plain `status` (`-f/--file`, `--no-color` anywhere; `--json`, `-o wide` and
 * names after the command), or `undefined` for anything else: `--probe`, `--help`, a typo, another command.
 */
export function parseStatusArgs(args: readonly string[]): StatusArgs | undefined {
  const parsed: StatusArgs = { json: false, wide: false, color: true, names: [] };
  let command = false;
  for (let index = 0; index < args.length; index++) {
    const arg = args[index] as string;
    if (arg === '-f' || arg === '--file') {
      const value = args[++index];
      if (value === undefined || value.startsWith('-')) return undefined;
      parsed.file = value;
    } else if (arg.startsWith('--file=')) parsed.file = arg.slice('--file='.length);
    else if (arg === '--no-color') parsed.color = false;
    else if (arg === '--json' && command) parsed.json = true;
    else if ((arg === '-o' || arg === '--output') && command && args[index + 1] === 'wide') {
      parsed.wide = true;
      index += 1;
    } else if ((arg === '-owide' || arg === '--output=wide') && command) parsed.wide = true;
    else if (arg.startsWith('-')) return undefined;
    else if (command) parsed.names.push(arg);
    else if (arg === 'status') command = true;
    else return undefined;
  }
  return command ? parsed : undefined;
}

/** The answer to `GET /v1/status`, or `undefined` when none came whole (refused, gone, timed out). */
function askStatus(socketPath: string, names: readonly string[]): Promise<UnixHttpAnswer | undefined> {
  const query = names.map((name) => `service=${encodeURIComponent(name)}`).join('&');
  // HTTP/1.0: the whole body, then the server closes; node:net is loaded only then, so without a
  // controller `status` pays nothing for it (~3 ms).
  return getOverUnixSocket(socketPath, `/v1/status${query ? `?${query}` : ''}`, { timeoutMs: ANSWER_TIMEOUT_MS });
}

/** The body of a whole `200` answer in version 1, or `undefined`. */
export function statusBodyOf(answer: Buffer | undefined): StatusBody | undefined {
  return bodyOfAnswer(answer === undefined ? undefined : parseHttpAnswer(answer));
}

function bodyOfAnswer(answer: UnixHttpAnswer | undefined): StatusBody | undefined {
  if (answer?.status !== 200) return undefined;
  try {
    const parsed = JSON.parse(answer.body.toString('utf8')) as Partial<StatusBody> | null;
    return parsed?.formatVersion === 1 && Array.isArray(parsed.services) ? (parsed as StatusBody) : undefined;
  } catch {
    return undefined;
  }
}
