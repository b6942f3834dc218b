/** Whether a port accepts TCP connections right now: one quick connect, never a wait. */

import { connect } from 'node:net';
import type { PortSpec } from '../model/desired.js';

/** Where to connect for a declared port: its host, or the loopback address when it listens everywhere. */
export function connectHostOf(spec: PortSpec): string {
  if (spec.host === undefined || spec.host === '0.0.0.0' || spec.host === '*') return '127.0.0.1';
  if (spec.host === '::') return '::1';
  return spec.host;
}

/** True when a TCP connection to the port succeeds within `timeoutMs`. */
export function probePortOpen(spec: PortSpec, timeoutMs = 300): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: connectHostOf(spec), port: spec.port });
    const done = (open: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(open);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** `probePortOpen` for every port, in parallel, in the order given. */
export function probePortsOpen(ports: readonly PortSpec[], timeoutMs = 300): Promise<boolean[]> {
  return Promise.all(ports.map((spec) => probePortOpen(spec, timeoutMs)));
}
