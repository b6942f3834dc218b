/** The values a service gets for every key it (and `defaults:`) leaves out. */

import type { StopSpec } from '../model/desired.js';

/**
 * A service without a `ready` probe counts as started once it stayed up this long (like
 * supervisord's `startsecs`): a typo in its arguments fails the apply, with its exit code.
 */
export const DEFAULT_START = { settle: '100ms' } as const;
export const DEFAULT_STOP = { signal: 'SIGTERM', timeout: '10s' } as const;
/** DEFAULT_STOP resolved: how a run is stopped when no service spec is at hand. */
export const DEFAULT_STOP_SPEC: StopSpec = { signal: 'SIGTERM', timeoutMs: 10_000 };
export const DEFAULT_RESTART = {
  policy: 'on-failure',
  maxRestarts: 5,
  backoff: { initial: '500ms', max: '30s', reset: '10s' },
} as const;
export const DEFAULT_LOGS = { maxSize: '10MiB', maxFiles: 3 } as const;
/** For `ready`, timeout bounds the whole wait; a probe is retried every interval until then. */
export const DEFAULT_READY = { timeout: '30s', interval: '250ms', failureThreshold: 1 } as const;
/** For `health`, timeout bounds one check; failureThreshold failures in a row mean unhealthy. */
export const DEFAULT_HEALTH = { timeout: '5s', interval: '10s', failureThreshold: 3 } as const;
/** Probes without a host check the loopback address (not `localhost`, which may resolve to ::1 first). */
export const DEFAULT_PROBE_HOST = '127.0.0.1';
