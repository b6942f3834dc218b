// `stack up`'s stream of compose services' output: every container of their projects followed
// with `docker logs --follow --timestamps`, from the time `up` began, and followed again after it
// restarts or is recreated. `docker compose logs -f` cannot do this: started after the first
// pass it misses what the containers printed before it attached (or, with no tail, repeats
// every earlier run), and compose v1 ends it as soon as no container runs (a crash loop).
import type { ComposeSpec } from './spec.js';
import type { LogLine } from '../../model/log-line.js';
import { runCommand } from '../../os/runner.js';
import { psArgv } from './argv.js';
import { engineStamp, readContainerLog } from './container-log.js';
import { parsePsLines, type Container } from './containers.js';

export interface FollowComposeOptions {
  /** The compose services to follow now (asked again at every look, so a hot-added one joins). */
  specs: () => ReadonlyMap<string, ComposeSpec>;
  /** Lines the engine stamped before this are not shown: `stack up`'s start. */
  since: Date;
  /** Where an earlier read of a container ended (its id → the stamp of its last line): its follow starts there. */
  cursors?: ReadonlyMap<string, string>;
  signal: AbortSignal;
  /** `container`: the container's name, given while several of the service's run. */
  write: (service: string, line: LogLine, container?: string) => void;
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

/**
 * Lines are marked with their container only while several run (scale, or several services of
 * one project): a recreated one's predecessor does not count.
 */
export function severalRun(containers: readonly Container[]): boolean {
  return containers.filter((container) => LIVE.has(container.state)).length > 1;
}

/** Follows until `signal` aborts; never rejects (a docker that fails is asked again at the next look). */
export async function followComposeLogs(options: FollowComposeOptions): Promise<void> {
  const followed = new Map<string, Followed>();
  const pollMs = options.pollMs ?? 500;
  const since = engineStamp(options.since);
  while (!options.signal.aborted) {
    for (const [name, spec] of options.specs()) {
      const containers = await listContainers(spec, options);
      const several = severalRun(containers);
      for (const container of containers) {
        const entry = followed.get(container.id) ?? cursorAt(options.cursors?.get(container.id));
        followed.set(container.id, entry);
        if (entry.active || (!LIVE.has(container.state) && entry.endedIn === container.state)) continue;
        entry.active = true;
        void followContainer(spec, container, entry, entry.cursor ?? since, options, (line) => options.write(name, line, several ? container.name : undefined));
      }
    }
    await delay(pollMs, options.signal);
  }
}

function cursorAt(stamp: string | undefined): Followed {
  return stamp === undefined ? { active: false } : { active: false, cursor: stamp };
}

/** The service's containers (not `run`'s one-offs), stopped ones too; none when docker does not answer. */
export async function listContainers(spec: ComposeSpec, options: Pick<FollowComposeOptions, 'signal'>): Promise<Container[]> {
  const result = await runCommand(psArgv(spec.project), { env: spec.env, signal: options.signal, timeoutMs: 30_000 });
  if (result.exitCode !== 0) return [];
  const wanted = (container: Container) => !container.oneOff && (spec.services.length === 0 || spec.services.includes(container.service));
  return parsePsLines(result.stdout).filter(wanted);
}

/** One `docker logs -f` of one container, until the container stops (or `signal` aborts). */
async function followContainer(spec: ComposeSpec, container: Container, entry: Followed, from: string, options: FollowComposeOptions, write: (line: LogLine) => void): Promise<void> {
  // A restarted follow asks from the last stamp shown (the engine includes lines at that very
  // stamp), so that line and any before it are skipped.
  const floor = entry.cursor;
  await readContainerLog(container.id, {
    follow: true,
    since: from,
    env: spec.env,
    signal: options.signal,
    verbose: options.verbose,
    onLine: ({ stamp, line }) => {
      if (floor !== undefined && stamp <= floor) return;
      if (entry.cursor === undefined || stamp > entry.cursor) entry.cursor = stamp;
      write(line);
    },
  });
  entry.active = false;
  entry.endedIn = container.state;
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
