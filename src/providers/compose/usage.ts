// A compose service's figures for `status`: its running containers' CPU and memory as the engine
// reads them (`docker stats --no-stream`), and what they run (the project's listing: the engine's
// socket or `docker ps`).
import type { ComposeSpec } from './spec.js';
import type { OperationContext, RunUsage } from '../../model/provider.js';
import { psArgv, statsArgv } from './argv.js';
import type { Run } from './cli.js';
import { jsonRows, parsePsLines, type Container } from './containers.js';
import { runFor } from './project.js';

/** docker stats waits for two of the engine's samples (about a second apart); a busy engine may take longer. */
const STATS_TIMEOUT_MS = 15_000;

/**
 * The figures of the service's running containers, summed; undefined when none runs or the
 * engine does not answer. `containers` lists the project's (the provider's listing); by default
 * `docker ps`.
 */
export async function readComposeUsage(run: Run, name: string, spec: ComposeSpec, ctx: OperationContext, containers?: () => Promise<Container[] | undefined>): Promise<RunUsage | undefined> {
  const listed = containers ? await containers() : await psContainers(run, name, spec, ctx);
  if (!listed) return undefined;
  const running = listed.filter((each) => each.state === 'running' && !each.oneOff && (spec.services.length === 0 || spec.services.includes(each.service)));
  if (running.length === 0) return undefined;
  const stats = await runFor(run, name, spec, statsArgv(running.map((each) => each.id)), ctx, STATS_TIMEOUT_MS);
  const figures = stats.exitCode === 0 ? sumStats(parseStatsLines(stats.stdout), running.map((each) => each.id)) : { cpu: null, memory: null };
  return { ...figures, command: ctx.redact(containersCommand(running)) };
}

async function psContainers(run: Run, name: string, spec: ComposeSpec, ctx: OperationContext): Promise<Container[] | undefined> {
  const ps = await runFor(run, name, spec, psArgv(spec.project), ctx, STATS_TIMEOUT_MS);
  return ps.exitCode === 0 ? parsePsLines(ps.stdout) : undefined;
}

/** One container's reading, as `docker stats --format '{{json .}}'` prints it. */
export interface ContainerStats {
  id: string;
  /** Percent of one core (`CPUPerc`: "12.34%"); null when the engine has no reading ("--"). */
  cpu: number | null;
  /** Bytes in use (`MemUsage`'s first half: "1.5MiB / 7.7GiB"); null when unreadable. */
  memory: number | null;
}

/** Parses `docker stats` JSON lines; lines that are not a container are skipped. */
export function parseStatsLines(text: string): ContainerStats[] {
  const stats: ContainerStats[] = [];
  for (const row of jsonRows(text)) {
    const cpu = /^(\d+(?:\.\d+)?)%$/.exec(String(row.CPUPerc ?? '').trim());
    stats.push({ id: String(row.ID ?? row.Container ?? ''), cpu: cpu ? Number(cpu[1]) : null, memory: parseByteSize(String(row.MemUsage ?? '').split('/')[0] ?? '') });
  }
  return stats;
}

const UNITS: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4 };

/** A size as docker prints it ("3.52MiB", "1.2kB", "0B"), in bytes; null when it is none of those. */
export function parseByteSize(text: string): number | null {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]+)$/i.exec(text.trim());
  const unit = match ? UNITS[(match[2] as string).toLowerCase()] : undefined;
  return match && unit !== undefined ? Math.round(Number(match[1]) * unit) : null;
}

/** The sums over the containers asked for; a figure is null when no container had it. */
export function sumStats(stats: readonly ContainerStats[], ids: readonly string[]): Pick<RunUsage, 'cpu' | 'memory'> {
  const ours = stats.filter((each) => ids.some((id) => id.startsWith(each.id) || each.id.startsWith(id)));
  const sum = (values: (number | null)[]) => (values.some((value) => value !== null) ? values.reduce<number>((total, value) => total + (value ?? 0), 0) : null);
  const cpu = sum(ours.map((each) => each.cpu));
  return { cpu: cpu === null ? null : Math.round(cpu * 10) / 10, memory: sum(ours.map((each) => each.memory)) };
}

/** `image command` of each container, `service: ` before each when there are several services. */
export function containersCommand(containers: readonly Container[]): string {
  const several = new Set(containers.map((each) => each.service)).size > 1;
  const seen = new Set<string>();
  for (const each of containers) {
    const runs = [each.image, each.command].filter(Boolean).join(' ');
    seen.add(several ? `${each.service}: ${runs}` : runs);
  }
  return [...seen].join(' | ');
}
