import { assign, fromPromise, setup } from 'xstate';
import type { RestartSpec } from '../model/desired.js';
import { failureOf, type Failure } from '../model/outcome.js';
import { backoffDelay, shouldRestart, type ExitFacts } from './restart-policy.js';

/** Operation timeouts of one service, in milliseconds. */
export interface OperationTimeouts {
  install: number;
  start: number;
  ready: number;
  stop: number;
  uninstall: number;
}

export type InitialPhase = 'absent' | 'stopped' | 'running' | 'crashed';

export interface ServiceMachineInput {
  name: string;
  initial: InitialPhase;
  timeouts: OperationTimeouts;
  restart: RestartSpec;
  /** Watch mode: react to exits and failed health checks through the restart policy. */
  supervise: boolean;
  /** Restarts already counted (from the state file). */
  restarts?: number;
}

export interface ServiceContext {
  name: string;
  initial: InitialPhase;
  timeouts: OperationTimeouts;
  restart: RestartSpec;
  supervise: boolean;
  /** Consecutive restarts since the service last stayed up for `backoff.resetMs`. */
  restarts: number;
  /** Why the last operation failed, for people: `failure.message`. */
  error?: string;
  /** The same failure with its facts (exit code, signal, timeout, log tail) as the provider gave them. */
  failure?: Failure;
  lastExit?: ExitFacts;
  /**
   * Why the last start failed (never ready, exited while starting, an error), kept through the
   * retries until a run reaches `running`: a retry's `starting` clears `error` at once.
   */
  startFailure?: string;
  /** The facts of `startFailure`. */
  startFailureFacts?: Failure;
  gaveUp: boolean;
}

export type ServiceEvent =
  | { type: 'INSTALL' }
  | { type: 'START' }
  | { type: 'RESTART' }
  | { type: 'STOP' }
  | { type: 'UNINSTALL' }
  /** `hold`: not restarted whatever the policy says (the development loop's trial of a new start). */
  | { type: 'EXITED'; code: number | null; signal: string | null; hold?: boolean }
  | { type: 'UNHEALTHY'; reason: string }
  | { type: 'ABORT' };

/** What the provider operations receive; the executor supplies the real ones with `provide`. */
export interface OperationInput {
  name: string;
  restarts: number;
}

const notProvided = (op: string) =>
  fromPromise<void, OperationInput>(async () => {
    throw new Error(`the ${op} operation was not provided`);
  });

const timedOut = (op: string, ms: number): Failure => ({ message: `${op} timed out after ${ms} ms`, timedOut: true });

/** The states in which an operation is in flight or a restart is pending: `snapshot.hasTag(BUSY)`. */
export const BUSY = 'busy';

/**
 * One service's lifecycle (docs/architecture.md). The machine never spawns by itself: every
 * provider operation is a named promise actor, every interval a named delay on the actor's clock.
 */
export const serviceMachine = setup({
  types: {
    context: {} as ServiceContext,
    events: {} as ServiceEvent,
    input: {} as ServiceMachineInput,
  },
  actors: {
    install: notProvided('install'),
    start: notProvided('start'),
    restart: notProvided('restart'),
    waitReady: notProvided('waitReady'),
    stop: notProvided('stop'),
    uninstall: notProvided('uninstall'),
  },
  delays: {
    installTimeout: ({ context }) => context.timeouts.install,
    startTimeout: ({ context }) => context.timeouts.start,
    readyTimeout: ({ context }) => context.timeouts.ready,
    stopTimeout: ({ context }) => context.timeouts.stop,
    restartTimeout: ({ context }) => context.timeouts.stop + context.timeouts.start,
    uninstallTimeout: ({ context }) => context.timeouts.uninstall,
    backoff: ({ context }) => backoffDelay(context.restart, context.restarts),
    resetRestarts: ({ context }) => context.restart.backoff.resetMs,
  },
  guards: {
    startsIn: ({ context }, params: { phase: InitialPhase }) => context.initial === params.phase,
    restartAfterExit: ({ context, event }) =>
      event.type === 'EXITED' && context.supervise && event.hold !== true && shouldRestart(context.restart.policy, event) &&
      context.restarts < context.restart.maxRestarts,
    // A start that fails is a failure like a crash (the policy's `on-failure` covers it): under a
    // supervisor it is tried again, the first start of a service too, until maxRestarts in a row.
    retryStart: ({ context }) => context.supervise && context.restart.policy !== 'no' && context.restarts < context.restart.maxRestarts,
    restartsLeft: ({ context }) => context.supervise && context.restarts < context.restart.maxRestarts,
    noBackoff: ({ context }) => backoffDelay(context.restart, context.restarts) === 0,
    // The executor knows each provider: one with no install step (a process) and a service with
    // nothing to wait for after its start (no `ready`) skip those states, and the cost of
    // invoking an operation that does nothing (measured: 50 starts, 48 → 30 ms of machine work).
    nothingToInstall: () => false,
    nothingToAwait: () => false,
    // A task (kind: task): its wait is for its exit, and a success ends in `completed`, not `running`.
    runsToCompletion: () => false,
  },
  actions: {
    recordError: assign((_, params: { failure: Failure }) => ({ error: params.failure.message, failure: params.failure })),
    clearError: assign({ error: () => undefined, failure: () => undefined }),
    recordExit: assign({
      lastExit: ({ event }) => (event.type === 'EXITED' ? { code: event.code, signal: event.signal } : undefined),
    }),
    countRestart: assign({ restarts: ({ context }) => context.restarts + 1 }),
    resetRestarts: assign({ restarts: () => 0, gaveUp: () => false }),
    keepStartFailure: assign((_, params: { failure: Failure }) => ({ startFailure: params.failure.message, startFailureFacts: params.failure })),
    forgetStartFailure: assign({ startFailure: () => undefined, startFailureFacts: () => undefined }),
    // Reached when `retryStart` said no: the policy allows restarts, so they are used up.
    giveUpIfSupervised: assign({ gaveUp: ({ context }) => context.supervise && context.restart.policy !== 'no' }),
    /** The executor records the failed start in the state file (a start that left no run reads as crashed, not stopped). */
    recordStartFailure: (_, _params: { message: string }) => undefined,
    /** The bookkeeping of an install that had nothing to do. */
    recordInstalled: () => undefined,
  },
}).createMachine({
  id: 'service',
  context: ({ input }) => ({
    name: input.name,
    initial: input.initial,
    timeouts: input.timeouts,
    restart: input.restart,
    supervise: input.supervise,
    restarts: input.restarts ?? 0,
    gaveUp: false,
  }),
  initial: 'init',
  states: {
    // Machines start where the service was observed to be.
    init: {
      always: [
        { guard: { type: 'startsIn', params: { phase: 'stopped' } }, target: 'stopped' },
        { guard: { type: 'startsIn', params: { phase: 'running' } }, target: 'running' },
        { guard: { type: 'startsIn', params: { phase: 'crashed' } }, target: 'crashed' },
        { target: 'absent' },
      ],
    },
    absent: {
      on: {
        // A service whose state could not be observed starts here; `down` stops it anyway.
        STOP: 'stopping',
        INSTALL: [{ guard: 'nothingToInstall', target: 'stopped', actions: ['clearError', 'recordInstalled'] }, { target: 'installing' }],
        START: 'installing',
      },
    },
    installing: {
      tags: [BUSY],
      entry: 'clearError',
      invoke: {
        src: 'install',
        input: ({ context }) => ({ name: context.name, restarts: context.restarts }),
        onDone: 'stopped',
        onError: { target: 'failed', actions: { type: 'recordError', params: ({ event }) => ({ failure: failureOf(event.error) }) } },
      },
      after: {
        installTimeout: { target: 'failed', actions: { type: 'recordError', params: ({ context }) => ({ failure: timedOut('install', context.timeouts.install) }) } },
      },
      on: { ABORT: 'interrupted' },
    },
    stopped: {
      on: { START: 'starting', INSTALL: 'installing', UNINSTALL: 'uninstalling' },
    },
    starting: {
      tags: [BUSY],
      entry: 'clearError',
      invoke: {
        src: 'start',
        input: ({ context }) => ({ name: context.name, restarts: context.restarts }),
        onDone: [{ guard: 'nothingToAwait', target: 'running' }, { target: 'waitingReady' }],
        onError: { target: 'startFailed', actions: { type: 'recordError', params: ({ event }) => ({ failure: failureOf(event.error) }) } },
      },
      after: {
        startTimeout: { target: 'startFailed', actions: { type: 'recordError', params: ({ context }) => ({ failure: timedOut('start', context.timeouts.start) }) } },
      },
      on: { ABORT: 'interrupted' },
    },
    waitingReady: {
      tags: [BUSY],
      invoke: {
        src: 'waitReady',
        input: ({ context }) => ({ name: context.name, restarts: context.restarts }),
        onDone: [{ guard: 'runsToCompletion', target: 'completed' }, { target: 'running' }],
        onError: { target: 'abandoning', actions: { type: 'recordError', params: ({ event }) => ({ failure: failureOf(event.error) }) } },
      },
      after: {
        readyTimeout: { target: 'abandoning', actions: { type: 'recordError', params: ({ context }) => ({ failure: timedOut('readiness', context.timeouts.ready) }) } },
      },
      on: { ABORT: 'interrupted', STOP: 'stopping' },
    },
    // A start that never became ready is stopped again, keeping the reason it failed.
    abandoning: {
      tags: [BUSY],
      invoke: {
        src: 'stop',
        input: ({ context }) => ({ name: context.name, restarts: context.restarts }),
        onDone: 'startFailed',
        onError: 'failed',
      },
      after: { stopTimeout: 'failed' },
    },
    // Every way a start can fail ends here (its reason in `error`): under a supervisor it is
    // retried through the restart policy, as a crash is; otherwise, or once the restarts in a row
    // are used up, it stays failed. Transient: no subscriber ever sees this state.
    startFailed: {
      entry: [
        { type: 'keepStartFailure', params: ({ context }) => ({ failure: context.failure ?? { message: 'start failed' } }) },
        { type: 'recordStartFailure', params: ({ context }) => ({ message: context.error ?? 'start failed' }) },
      ],
      always: [{ guard: 'retryStart', target: 'backoff' }, { target: 'failed', actions: 'giveUpIfSupervised' }],
    },
    running: {
      entry: ['clearError', 'forgetStartFailure'],
      after: { resetRestarts: { actions: 'resetRestarts' } },
      on: {
        STOP: 'stopping',
        RESTART: 'restarting',
        EXITED: [
          { guard: 'restartAfterExit', target: 'backoff', actions: 'recordExit' },
          { target: 'crashed', actions: 'recordExit' },
        ],
        UNHEALTHY: { target: 'recovering', actions: { type: 'recordError', params: ({ event }) => ({ failure: { message: event.reason } }) } },
      },
    },
    // A provider that restarts in one step (a plugin's `restart` command), then readiness as after a start.
    restarting: {
      tags: [BUSY],
      invoke: {
        src: 'restart',
        input: ({ context }) => ({ name: context.name, restarts: context.restarts }),
        onDone: 'waitingReady',
        onError: { target: 'startFailed', actions: { type: 'recordError', params: ({ event }) => ({ failure: failureOf(event.error) }) } },
      },
      after: {
        restartTimeout: { target: 'startFailed', actions: { type: 'recordError', params: ({ context }) => ({ failure: timedOut('restart', context.timeouts.stop + context.timeouts.start) }) } },
      },
      on: { ABORT: 'interrupted' },
    },
    // Failed its health check: stop it, then restart through the same policy as a crash.
    recovering: {
      tags: [BUSY],
      invoke: {
        src: 'stop',
        input: ({ context }) => ({ name: context.name, restarts: context.restarts }),
        onDone: [{ guard: 'restartsLeft', target: 'backoff' }, { target: 'crashed' }],
        onError: 'failed',
      },
      after: { stopTimeout: 'failed' },
    },
    backoff: {
      tags: [BUSY],
      entry: 'countRestart',
      // No wait at all when the backoff is zero: a timer of 0 ms still costs Node's 1 ms minimum.
      always: { guard: 'noBackoff', target: 'starting' },
      after: { backoff: 'starting' },
      on: { STOP: 'stopped', START: 'starting' },
    },
    // A task ran to completion with a success exit code; nothing runs. A START runs it again.
    completed: {
      entry: ['clearError', 'forgetStartFailure'],
      on: { START: { target: 'starting', actions: 'resetRestarts' }, STOP: 'stopped', UNINSTALL: 'uninstalling', INSTALL: 'installing' },
    },
    crashed: {
      entry: assign({ gaveUp: ({ context }) => context.supervise && context.restarts >= context.restart.maxRestarts }),
      on: { START: { target: 'starting', actions: 'resetRestarts' }, STOP: 'stopped', UNINSTALL: 'uninstalling', INSTALL: 'installing' },
    },
    stopping: {
      tags: [BUSY],
      invoke: {
        src: 'stop',
        input: ({ context }) => ({ name: context.name, restarts: context.restarts }),
        onDone: 'stopped',
        onError: { target: 'failed', actions: { type: 'recordError', params: ({ event }) => ({ failure: failureOf(event.error) }) } },
      },
      after: {
        stopTimeout: { target: 'failed', actions: { type: 'recordError', params: ({ context }) => ({ failure: timedOut('stop', context.timeouts.stop) }) } },
      },
      on: { ABORT: 'interrupted', EXITED: {} },
    },
    uninstalling: {
      tags: [BUSY],
      invoke: {
        src: 'uninstall',
        input: ({ context }) => ({ name: context.name, restarts: context.restarts }),
        onDone: 'absent',
        onError: { target: 'failed', actions: { type: 'recordError', params: ({ event }) => ({ failure: failureOf(event.error) }) } },
      },
      after: {
        uninstallTimeout: { target: 'failed', actions: { type: 'recordError', params: ({ context }) => ({ failure: timedOut('uninstall', context.timeouts.uninstall) }) } },
      },
      on: { ABORT: 'interrupted' },
    },
    failed: {
      on: { START: { target: 'starting', actions: 'resetRestarts' }, STOP: 'stopping', INSTALL: 'installing', UNINSTALL: 'uninstalling' },
    },
    interrupted: { type: 'final' },
  },
});
