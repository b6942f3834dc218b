import { useEffect, useState } from 'preact/hooks';
import { eventData, getJson, openStream, useVisible } from './api.js';
import type { DashStatus, EventBody, ProblemEvent } from '../api/dashboard/protocol.js';

// The stack as it is now, for every page: `GET /api/v1/status` once, then each `event: status`
// of `/api/v1/stream` replaces it, so the page follows without a reload. The browser reconnects
// a dropped stream by itself; the banner says so meanwhile.

export interface Live {
  status: DashStatus | undefined;
  /** The controller's latest events (exited, restarting, gave-up…), newest first. */
  events: EventBody[];
  /** stack.yaml does not load, or the stream is down. */
  problem: string | undefined;
  connected: boolean;
}

const KEPT_EVENTS = 50;

let early: Promise<DashStatus> | undefined;
/** The early status once it came: the first render of the page takes it, without waiting for an effect. */
let arrived: DashStatus | undefined;

/** The status the page came with, or asked for at once, beside the session, not after it: no round trip before the first table. */
export function prefetchStatus(boot?: DashStatus): void {
  if (boot) {
    arrived = boot;
    early = Promise.resolve(boot);
    return;
  }
  const asked = (early = getJson<DashStatus>('/api/v1/status'));
  // Without a session (401) the page says so from the session's answer; this one is not awaited then.
  asked.then((status) => early === asked && (arrived = status)).catch(() => undefined);
}

/** The early status if it came already; firstStatus() still takes its answer (no second request). */
function arrivedStatus(): DashStatus | undefined {
  const status = arrived;
  arrived = undefined;
  return status;
}

function firstStatus(): Promise<DashStatus> {
  const found = early ?? getJson<DashStatus>('/api/v1/status');
  early = undefined;
  arrived = undefined;
  return found;
}

export function useLive(): Live {
  const [live, setLive] = useState<Live>(() => {
    const status = arrivedStatus();
    return { status, events: [], problem: status?.problem, connected: false };
  });
  const visible = useVisible();
  useEffect(() => {
    if (!visible) return;
    let closed = false;
    // Shown again after being hidden: the status now, as on the first render.
    firstStatus().then(
      (status) => !closed && setLive((now) => (now.status && now.connected ? now : { ...now, status, problem: status.problem })),
      (error: Error) => !closed && setLive((now) => ({ ...now, problem: error.message })),
    );
    const stream = openStream('/api/v1/stream');
    stream.addEventListener('open', () => setLive((now) => ({ ...now, connected: true })));
    stream.addEventListener('error', () => setLive((now) => ({ ...now, connected: false })));
    stream.addEventListener('status', (event) => {
      const status = eventData<DashStatus>(event);
      if (status) setLive((now) => ({ ...now, status, problem: status.problem }));
    });
    stream.addEventListener('event', (event) => {
      const body = eventData<EventBody>(event);
      if (body) setLive((now) => ({ ...now, events: [body, ...now.events].slice(0, KEPT_EVENTS) }));
    });
    stream.addEventListener('problem', (event) => {
      const body = eventData<ProblemEvent>(event);
      if (body) setLive((now) => ({ ...now, problem: body.message }));
    });
    return () => {
      closed = true;
      stream.close();
      setLive((now) => ({ ...now, connected: false }));
    };
  }, [visible]);
  return live;
}

/** The wall clock, once a second: uptimes and "3s ago" move on between status events. */
export function useNow(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return now;
}
