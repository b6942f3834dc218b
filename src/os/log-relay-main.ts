// `node dist/log-relay.cjs OUT_FD ERR_FD LOG_FD`: the log relay where native/log-relay.c was
// not built (no compiler at install). Same behaviour, same format: it frames a service's
// stdout and stderr into its log, the time taken as each read returns, one write of whole
// records per read, until both pipes reach end of file. See native/log-relay.c for why each
// rule is there. It runs on its own (started by log-relay.ts) and outlives stack.
import { writeSync } from 'node:fs';
import { Socket } from 'node:net';
import { FRAME_BYTES, frameLine, stampOf } from '../model/log-line.js';
import { LineFramer } from './line-framer.js';

const PROMPT_MS = 1000;

const [outFd, errFd, logFd] = process.argv.slice(2).map(Number);
if (outFd === undefined || errFd === undefined || logFd === undefined || [outFd, errFd, logFd].some((fd) => !Number.isInteger(fd) || fd < 0)) {
  process.stderr.write('usage: log-relay OUT_FD ERR_FD LOG_FD\n');
  process.exit(2);
}

// Its life is the pipes': a hang-up, Ctrl+C or `kill` meant for the service is not for it.
// (Node ignores SIGPIPE and SIGXFSZ already: a write past a limit fails instead.)
for (const signal of ['SIGHUP', 'SIGINT', 'SIGTERM'] as const) process.on(signal, () => undefined);

// Microseconds of wall time: performance.now() for the microseconds, re-based on Date.now()
// when the two part (the clock was set, or the machine slept).
let origin = performance.timeOrigin;
let lastStamp = '';
function takeStamp(): string {
  let ms = origin + performance.now();
  if (Math.abs(Date.now() - ms) > 100) {
    origin = Date.now() - performance.now();
    ms = origin + performance.now();
  }
  const micros = Math.floor(ms * 1000);
  const stamp = stampOf(new Date(Math.floor(micros / 1000)), micros % 1000);
  // Never earlier than the last one: a reader bisects the log by time.
  if (stamp > lastStamp) lastStamp = stamp;
  return lastStamp;
}

let lostBytes = 0;
let lostWhy = '';
// A failed write left a record without its newline in the log.
let cut = false;

/** Writes one batch of records; a failure drops it, counted, and says so once a write works. */
function writeBatch(records: string[], at: string): void {
  if (records.length === 0) return;
  const notice = `${cut ? '\n' : ''}${lostBytes > 0 ? frameLine({ text: `stack: ${lostBytes} bytes of output lost (${lostWhy})`, stream: 'stack', at }) : ''}`;
  const batch = Buffer.from(notice + records.join(''), 'latin1');
  let written = 0;
  try {
    while (written < batch.length) written += writeSync(logFd as number, batch, written);
    lostBytes = 0;
    cut = false;
  } catch (error) {
    if (lostBytes === 0) lostWhy = reasonOf(error);
    lostBytes += unwrittenOutput(records, written - notice.length);
    if (written > 0) cut = true;
  }
}

/** The service's bytes (a frame is stack's) of the records not written whole when `written` bytes of them went out. */
function unwrittenOutput(records: readonly string[], written: number): number {
  let lost = 0;
  let end = 0;
  for (const record of records) {
    end += record.length;
    if (end > written) lost += record.length - FRAME_BYTES;
  }
  return lost;
}

// `ENOSPC: no space left on device, write` → `No space left on device`, as strerror says it.
function reasonOf(error: unknown): string {
  const message = /^[A-Z0-9]+: (.*?)(, \w+)?$/.exec((error as Error).message)?.[1] ?? String(error);
  return message.charAt(0).toUpperCase() + message.slice(1);
}

function relay(fd: number, stream: 'stdout' | 'stderr'): void {
  const framer = new LineFramer(stream);
  let prompt: NodeJS.Timeout | undefined;
  const armPrompt = (): void => {
    if (framer.holding && !prompt) {
      prompt = setTimeout(() => {
        prompt = undefined;
        const records: string[] = [];
        const at = takeStamp();
        framer.flush(at, records, true);
        writeBatch(records, at);
      }, PROMPT_MS);
    } else if (!framer.holding && prompt) {
      clearTimeout(prompt);
      prompt = undefined;
    }
  };
  const socket = new Socket({ fd, readable: true, writable: false });
  socket.on('data', (chunk: Buffer) => {
    const records: string[] = [];
    const at = takeStamp();
    framer.push(chunk.toString('latin1'), at, records);
    writeBatch(records, at);
    armPrompt();
  });
  // At end of file (or a read error, which ends the stream as well), the held part is the line's last.
  socket.on('close', () => {
    const records: string[] = [];
    const at = takeStamp();
    framer.flush(at, records, false);
    writeBatch(records, at);
    armPrompt();
  });
  socket.on('error', () => undefined);
}

relay(outFd, 'stdout');
relay(errFd, 'stderr');
