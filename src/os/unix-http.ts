/**
 * One GET over a unix socket in HTTP/1.0: the server sends the whole answer and closes, so there
 * is no chunked encoding to undo and no connection to keep. Over node:net, which a command has
 * loaded already (its terminal streams need it), not node:http (~15 ms to load, for one request:
 * a fifth of a `stack status` of compose services).
 */
export interface UnixHttpAnswer {
  status: number;
  body: Buffer;
}

/** An answer longer than this is given up on (a `docker ps` of thousands of containers is a few MB). */
const MAX_ANSWER_BYTES = 64 * 1024 * 1024;

/** The answer, or `undefined` when none came whole: refused, no socket, aborted, timed out, too long, or not HTTP. */
export async function getOverUnixSocket(socketPath: string, path: string, options: { signal?: AbortSignal; timeoutMs: number; maxBytes?: number }): Promise<UnixHttpAnswer | undefined> {
  const { connect } = await import('node:net');
  const maxBytes = options.maxBytes ?? MAX_ANSWER_BYTES;
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const socket = connect(socketPath);
    const done = (answer: UnixHttpAnswer | undefined): void => {
      options.signal?.removeEventListener('abort', abort);
      socket.destroy();
      resolve(answer);
    };
    const abort = () => done(undefined);
    if (options.signal?.aborted) return done(undefined);
    options.signal?.addEventListener('abort', abort, { once: true });
    socket.setTimeout(options.timeoutMs, () => done(undefined));
    socket.on('error', () => done(undefined));
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > maxBytes) return done(undefined);
      chunks.push(chunk);
    });
    socket.once('end', () => done(parseHttpAnswer(Buffer.concat(chunks))));
    socket.write(`GET ${path} HTTP/1.0\r\nHost: localhost\r\n\r\n`);
  });
}

/** A whole HTTP/1.x answer: its status and body; `undefined` when it is cut short, chunked, or not HTTP. */
export function parseHttpAnswer(answer: Buffer): UnixHttpAnswer | undefined {
  const headEnd = answer.indexOf('\r\n\r\n');
  if (headEnd < 0) return undefined;
  const head = answer.subarray(0, headEnd).toString('latin1').split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3}) /.exec(`${head[0] ?? ''} `)?.[1];
  if (status === undefined) return undefined;
  if (head.some((line) => /^transfer-encoding:/i.test(line))) return undefined;
  const body = answer.subarray(headEnd + 4);
  const length = head.find((line) => /^content-length:/i.test(line));
  if (length !== undefined && Number(length.slice(length.indexOf(':') + 1)) !== body.length) return undefined;
  return { status: Number(status), body };
}
