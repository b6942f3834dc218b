// Pure: `docker ps --format '{{json .}}'` lines → what the project is now. No docker here.
import type { Health, Phase } from '../../model/observed.js';
import { SERVICE_LABEL } from './argv.js';

export type ContainerHealth = 'healthy' | 'unhealthy' | 'starting' | 'none';

/** One container of a compose project, as `docker ps` reports it. */
export interface Container {
  id: string;
  name: string;
  /** The compose service it belongs to (from its label). */
  service: string;
  /** created | running | paused | restarting | removing | exited | dead */
  state: string;
  /** The exit code of an exited container ("Exited (137) 2 seconds ago"). */
  exitCode?: number;
  health: ContainerHealth;
  /** `docker compose run` containers: not part of the service. */
  oneOff: boolean;
  image?: string;
  /** What it runs (its entrypoint and arguments, joined by spaces, as the engine says). */
  command?: string;
}

export interface ProjectStatus {
  phase: Exclude<Phase, 'unknown' | 'stopping'>;
  health: Health;
  detail?: string;
}

/** The objects of docker's `--format '{{json .}}'` output, one a line; a line that is not one is skipped. */
export function jsonRows(text: string): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim().startsWith('{')) continue;
    try {
      rows.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // A warning docker printed among the rows.
    }
  }
  return rows;
}

/** Parses `docker ps` JSON lines; lines that are not a container are skipped. */
export function parsePsLines(text: string): Container[] {
  const containers: Container[] = [];
  for (const row of jsonRows(text)) {
    const labels = typeof row.Labels === 'string' ? row.Labels : '';
    const status = typeof row.Status === 'string' ? row.Status : '';
    const container: Container = {
      id: String(row.ID ?? ''),
      name: String(row.Names ?? ''),
      service: labelValue(labels, SERVICE_LABEL) ?? '',
      state: String(row.State ?? stateFromStatus(status)).toLowerCase(),
      health: healthFromStatus(status),
      oneOff: /^true$/i.test(labelValue(labels, 'com.docker.compose.oneoff') ?? ''),
    };
    if (typeof row.Image === 'string' && row.Image) container.image = row.Image;
    const command = typeof row.Command === 'string' ? unquoted(row.Command) : '';
    if (command) container.command = command;
    const exit = /^Exited \((-?\d+)\)/.exec(status);
    if (exit) container.exitCode = Number(exit[1]);
    containers.push(container);
  }
  return containers;
}

/**
 * The engine API's `GET /containers/json` rows (engine-api.ts) as parsePsLines reads the same
 * containers from `docker ps`: names without the API's leading `/`, labels as an object, the
 * command as the engine holds it (not quoted). A row that is not a container is skipped.
 */
export function containersFromEngine(rows: readonly unknown[]): Container[] {
  const containers: Container[] = [];
  for (const row of rows) {
    if (typeof row !== 'object' || row === null) continue;
    const { Id, Names, Image, Command, Labels, State, Status } = row as Record<string, unknown>;
    if (typeof Id !== 'string') continue;
    const labels = typeof Labels === 'object' && Labels !== null ? (Labels as Record<string, unknown>) : {};
    const label = (name: string) => (typeof labels[name] === 'string' ? (labels[name] as string) : undefined);
    const status = typeof Status === 'string' ? Status : '';
    const name = Array.isArray(Names) && typeof Names[0] === 'string' ? Names[0].replace(/^\//, '') : '';
    const container: Container = {
      id: Id,
      name,
      service: label(SERVICE_LABEL) ?? '',
      state: (typeof State === 'string' && State ? State : stateFromStatus(status)).toLowerCase(),
      health: healthFromStatus(status),
      oneOff: /^true$/i.test(label('com.docker.compose.oneoff') ?? ''),
    };
    if (typeof Image === 'string' && Image) container.image = Image;
    if (typeof Command === 'string' && Command) container.command = Command;
    const exit = /^Exited \((-?\d+)\)/.exec(status);
    if (exit) container.exitCode = Number(exit[1]);
    containers.push(container);
  }
  return containers;
}

// `docker ps` quotes the command as Go's strconv.Quote does, which JSON reads back for the text a command holds.
function unquoted(text: string): string {
  if (!/^".*"$/s.test(text)) return text;
  try {
    return JSON.parse(text) as string;
  } catch {
    return text.slice(1, -1);
  }
}

// Labels come as one "k=v,k=v" string; values such as config_files may hold commas, so each
// label is matched by its own name rather than by splitting.
function labelValue(labels: string, name: string): string | undefined {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(?:^|,)${escaped}=([^,]*)`).exec(labels)?.[1];
}

/** Health as the Status column shows it: "Up 3 seconds (health: starting)", "(healthy)", "(unhealthy)". */
export function healthFromStatus(status: string): ContainerHealth {
  if (/\(health: starting\)/.test(status)) return 'starting';
  if (/\(unhealthy\)/.test(status)) return 'unhealthy';
  if (/\(healthy\)/.test(status)) return 'healthy';
  return 'none';
}

// Older engines leave out State; the Status text says the same.
function stateFromStatus(status: string): string {
  if (/^Up .*\(Paused\)/.test(status)) return 'paused';
  if (status.startsWith('Up')) return 'running';
  if (status.startsWith('Exited')) return 'exited';
  if (status.startsWith('Restarting')) return 'restarting';
  if (status.startsWith('Created')) return 'created';
  return status.split(' ')[0] ?? '';
}

export interface StatusInput {
  containers: readonly Container[];
  /** The compose services stack manages; empty means every service that has a container. */
  services: readonly string[];
  scale: Readonly<Record<string, number>>;
  /** The last thing stack did was stop it: a non-zero exit code is then ours (SIGKILL → 137). */
  stoppedByUs: boolean;
}

/**
 * running: every selected service has a running container, healthy where it has a
 * healthcheck; starting: health is still starting; crashed: a container exited non-zero (or
 * keeps restarting) when stack did not stop it; stopped: containers exist, not all run;
 * absent: no container.
 */
export function projectStatus(input: StatusInput): ProjectStatus {
  const own = input.containers.filter((container) => !container.oneOff);
  const wanted = input.services.length > 0 ? [...input.services] : [...new Set(own.map((container) => container.service))].sort();
  const expected = wanted.filter((service) => input.scale[service] !== 0);
  const relevant = own.filter((container) => wanted.includes(container.service));
  if (relevant.length === 0) return { phase: 'absent', health: 'none' };

  const running = relevant.filter((container) => container.state === 'running');
  const failed = input.stoppedByUs ? [] : relevant.filter(isFailed);
  if (failed.length > 0) return { phase: 'crashed', health: 'none', detail: failed.map(describeFailure).join(', ') };

  const notRunning = expected.filter((service) => !running.some((container) => container.service === service));
  if (notRunning.length > 0) {
    const detail = running.length > 0 ? `not running: ${notRunning.join(', ')}` : undefined;
    return { phase: 'stopped', health: 'none', ...(detail ? { detail } : {}) };
  }
  const unhealthy = running.filter((container) => container.health === 'unhealthy');
  if (unhealthy.length > 0) return { phase: 'running', health: 'unhealthy', detail: `unhealthy: ${names(unhealthy)}` };
  const starting = running.filter((container) => container.health === 'starting');
  if (starting.length > 0) return { phase: 'starting', health: 'unready', detail: `health starting: ${names(starting)}` };
  const checked = running.some((container) => container.health === 'healthy');
  return { phase: 'running', health: checked ? 'ready' : 'none' };
}

function isFailed(container: Container): boolean {
  if (container.state === 'restarting' || container.state === 'dead') return true;
  return container.state === 'exited' && container.exitCode !== undefined && container.exitCode !== 0;
}

function describeFailure(container: Container): string {
  if (container.state === 'exited') return `${container.service} exited with code ${container.exitCode}`;
  return `${container.service} is ${container.state}`;
}

function names(containers: readonly Container[]): string {
  return [...new Set(containers.map((container) => container.service))].join(', ');
}
