/** Whether a TCP port can be listened on now, and a port the kernel has free. */

import { createServer } from 'node:net';

/**
 * Listens on `port` on every address (IPv6 and IPv4 where the machine has both) and closes at
 * once: a port some process holds on any address refuses. Refusals are values, never thrown.
 */
export function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A port the kernel picks from its ephemeral range, free when it answered. */
export function kernelFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('the kernel gave no port'))));
    });
  });
}
