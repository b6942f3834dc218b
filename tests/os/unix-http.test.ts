import { createServer as createNetServer, type Server } from 'node:net';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { getOverUnixSocket, parseHttpAnswer } from '../../src/os/unix-http.js';
import { makeTempDir } from '../providers/helpers.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** A unix socket server that answers each connection with `reply(request)` (raw bytes; `undefined`: never answers). */
async function rawServer(reply: (request: string) => string | undefined): Promise<{ socket: string; requests: string[] }> {
  const dir = await makeTempDir();
  const socket = path.join(dir, 'raw.sock');
  const requests: string[] = [];
  const server: Server = createNetServer((connection) => {
    // A client that gives up (an answer too long) resets the connection while this one writes.
    connection.on('error', () => undefined);
    connection.once('data', (data) => {
      requests.push(data.toString('latin1'));
      const answer = reply(data.toString('latin1'));
      if (answer !== undefined) connection.end(answer);
    });
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  cleanups.push(async () => {
    server.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { socket, requests };
}

describe('parseHttpAnswer', () => {
  it('gives the status and body of a whole answer, with or without a length', () => {
    expect(parseHttpAnswer(Buffer.from('HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n[1]'))).toEqual({ status: 200, body: Buffer.from('[1]') });
    expect(parseHttpAnswer(Buffer.from('HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\n{}'))).toEqual({ status: 404, body: Buffer.from('{}') });
  });

  it('refuses an answer cut short, a chunked one, or one that is not HTTP', () => {
    expect(parseHttpAnswer(Buffer.from('HTTP/1.0 200 OK\r\nContent-Length: 10\r\n\r\n[1]'))).toBeUndefined();
    expect(parseHttpAnswer(Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n[1]\r\n0\r\n\r\n'))).toBeUndefined();
    expect(parseHttpAnswer(Buffer.from('HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n'))).toBeUndefined();
    expect(parseHttpAnswer(Buffer.from('SSH-2.0-OpenSSH\r\n\r\n'))).toBeUndefined();
  });
});

describe('getOverUnixSocket', () => {
  it('asks in HTTP/1.0 and reads until the server closes', async () => {
    const { socket, requests } = await rawServer(() => 'HTTP/1.0 200 OK\r\n\r\n{"ok":true}');
    const answer = await getOverUnixSocket(socket, '/containers/json?all=1', { timeoutMs: 5000 });
    expect(answer?.status).toBe(200);
    expect(answer?.body.toString()).toBe('{"ok":true}');
    expect(requests[0]).toMatch(/^GET \/containers\/json\?all=1 HTTP\/1\.0\r\n/);
  });

  it('gives undefined for no socket, a server that never answers (at the timeout or the abort), an answer too long, or garbage', async () => {
    expect(await getOverUnixSocket(path.join(await makeTempDir(), 'none.sock'), '/', { timeoutMs: 5000 })).toBeUndefined();
    const silent = await rawServer(() => undefined);
    expect(await getOverUnixSocket(silent.socket, '/', { timeoutMs: 50 })).toBeUndefined();
    const controller = new AbortController();
    const asked = getOverUnixSocket(silent.socket, '/', { timeoutMs: 60_000, signal: controller.signal });
    controller.abort();
    expect(await asked).toBeUndefined();
    const endless = await rawServer(() => `HTTP/1.0 200 OK\r\n\r\n${'x'.repeat(4_000_000)}`);
    expect(await getOverUnixSocket(endless.socket, '/', { timeoutMs: 5000, maxBytes: 50_000 })).toBeUndefined();
    expect((await getOverUnixSocket(endless.socket, '/', { timeoutMs: 5000 }))?.body.length).toBe(4_000_000);
    const garbage = await rawServer(() => 'not http at all');
    expect(await getOverUnixSocket(garbage.socket, '/', { timeoutMs: 5000 })).toBeUndefined();
  });
});
