// `stack up`'s stream of compose services' output: every container of their projects followed
// with `docker logs --follow --timestamps`, from the time `up` began, and followed again after it
// restarts or is recreated. `docker compose logs -f` cannot do this: started after the first
// pass it misses what the containers printed before it attached (or, with no tail, repeats
// every earlier run), and compose v1 ends it as soon as no container runs (a crash loop).
import type { ComposeSpec } from './spec.js';
import { runCommand, streamCommand } from '../../os/runner.js';
import { psArgv } from './argv.js';
import { parsePsLines, type Container } from './containers.js';

export interface FollowComposeOptions {
  /** The compose services to follow now (asked again at every look, so a hot-added one joins). */
  specs: () => ReadonlyMap<string, ComposeSpec>;
  /** Lines the engine stamped before this are not shown: `stack up`'s start. */
  since: Date;
  signal: AbortSignal;
  write: (service: string, line: string) => void;
  /** How often the projects' containers are listed again (default 500ms). */
  pollMs?: number;
  verbose?: ((line: string) => void) | undefined;
}

interface Followed {
  /** The stamp of the last line shown: a follow started again starts there, and skips it. */
  cursor?: string;
  active: boolean;
  /** The container's state when its last follow ended: a stopped one is read again only once it changed. */
  endedIn?: string;
}

// A container in these states has (or will soon have) output to follow.
const LIVE = new Set(['running', 'restarting', 'paused']);

/** Follows until `signal` aborts; never rejects (a docker that fails is asked again at the next look). */
export async function followComposeLogs(options: FollowComposeOptions): Promise<void> {
  const followed = new Map<string, Followed>();
  const pollMs = options.pollMs ?? 500;
  const since = stampOf(options.since);
  while (!options.signal.aborted) {
    for (const [name, spec] of options.specs()) {
      const containers = await listContainers(spec, options);
      // Lines are marked with their container only while several run (scale, or several
      // services of one project): a recreated one's predecessor does not count.
      const several = containers.filter((container) => LIVE.has(container.state)).length > 1;
      for (const container of containers) {
        const entry = followed.get(container.id) ?? { active: false };
        followed.set(container.id, entry);
        if (entry.active || (!LIVE.has(container.state) && entry.endedIn === container.state)) continue;
        entry.active = true;
        void followContainer(spec, container, entry, entry.cursor ?? since, options, (line) => options.write(name, several ? `${container.name} | ${line}` : line));
      }
    }
    await delay(pollMs, options.signal);
  }
}

async function listContainers(spec: ComposeSpec, options: FollowComposeOptions): Promise<Container[]> {
  const result = await runCommand(psArgv(spec.project), { env: spec.env, signal: options.signal, timeoutMs: 30_000 });
  if (result.exitCode !== 0) return [];
  const wanted = (container: Container) => !container.oneOff && (spec.services.length === 0 || spec.services.includes(container.service));
  return parsePsLines(result.stdout).filter(wanted);
}

/** One `docker logs -f` of one container, until the container stops (or `signal` aborts). */
async function followContainer(spec: ComposeSpec, container: Container, entry: Followed, from: string, options: FollowComposeOptions, write: (line: string) => void): Promise<void> {
  // A restarted follow asks from the last stamp shown (the engine includes lines at that very
  // stamp), so that line and any before it are skipped.
  const floor = entry.cursor;
  const argv = ['docker', 'logs', '--follow', '--timestamps', '--since', from, container.id];
  await streamCommand(argv, {
    env: spec.env,
    signal: options.signal,
    verbose: options.verbose,
    onLine: (raw) => {
      const line = splitStamp(raw);
      // Without a stamp the line is docker's own (a container removed meanwhile), not the service's.
      if (!line || (floor !== undefined && line.stamp <= floor)) return;
      if (entry.cursor === undefined || line.stamp > entry.cursor) entry.cursor = line.stamp;
      write(line.text);
    },
  });
  entry.active = false;
  entry.endedIn = container.state;
}

/**
 * `2026-01-02T03:04:05.123456789Z text` → its stamp (fraction padded to nanoseconds, so stamps
 * compare as strings) and text; undefined for a line without one.
 */
export function splitStamp(raw: string): { stamp: string; text: string } | undefined {
  const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z ?(.*)$/s.exec(raw);
  if (!match) return undefined;
  return { stamp: `${match[1]}.${(match[2] ?? '').padEnd(9, '0')}Z`, text: match[3] ?? '' };
}

function stampOf(date: Date): string {
  return `${date.toISOString().slice(0, 23)}000000Z`;
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    timer.unref();
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
