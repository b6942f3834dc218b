// `stack update` for a compose service: `pull` through the compose CLI, then which containers run
// an image other than the one their image name (tag) now points to.
import type { ComposeSpec } from './spec.js';
import type { OperationContext, UpdateFound } from '../../model/provider.js';
import { projectArgv, psArgv, type ComposeCli } from './argv.js';
import type { Run } from './cli.js';
import { parsePsLines } from './containers.js';
import { mustRun, runFor } from './project.js';

/** A pull may download gigabytes. */
const PULL_TIMEOUT_MS = 30 * 60_000;

/** `pull --ignore-pull-failures` of the selected services: one image without a registry does not stop the others. */
export function pullArgv(cli: ComposeCli, spec: ComposeSpec): string[] {
  return [...projectArgv(cli, spec), 'pull', '--ignore-pull-failures', ...spec.services];
}

/**
 * Pulls (with `fetch`), then compares each container of the selected services with its image
 * name's current image. A failed pull (no registry reachable, an image only built or tagged
 * here) is a warning: what counts is whether the name now points elsewhere than the container runs.
 */
export async function findNewerImages(run: Run, cli: ComposeCli, name: string, spec: ComposeSpec, fetch: boolean, ctx: OperationContext): Promise<UpdateFound> {
  const warnings: string[] = [];
  if (fetch) {
    const pulled = await runFor(run, name, spec, pullArgv(cli, spec), ctx, PULL_TIMEOUT_MS);
    ctx.signal.throwIfAborted();
    if (pulled.exitCode !== 0) {
      const why = pulled.stderr.split('\n').map((line) => line.trim()).filter((line) => line && !/^Pulling .*\.\.\./.test(line)).at(-1) ?? `exit ${pulled.exitCode}`;
      warnings.push(`${name}: pull failed for some images (${ctx.redact(why)}); images that exist only here are compared as they are`);
    }
  }
  const selected = new Set(spec.services);
  const containers = parsePsLines((await mustRun(run, name, spec, psArgv(spec.project), ctx, 30_000)).stdout).filter(
    (container) => !container.oneOff && (selected.size === 0 || selected.has(container.service)),
  );
  if (containers.length === 0) return { newer: [], warnings };
  const running = await mustRun(run, name, spec, ['docker', 'inspect', '--format', '{{.Config.Image}}\t{{.Image}}', ...containers.map((container) => container.id)], ctx, 30_000);
  const byImage = new Map<string, Set<string>>();
  for (const line of running.stdout.split('\n')) {
    const [image, id] = line.trim().split('\t');
    if (image && id) byImage.set(image, (byImage.get(image) ?? new Set()).add(id));
  }
  const newer: UpdateFound['newer'] = [];
  for (const [image, ids] of [...byImage].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const now = await runFor(run, name, spec, ['docker', 'image', 'inspect', '--format', '{{.Id}}', image], ctx, 30_000);
    const current = now.exitCode === 0 ? now.stdout.trim() : undefined;
    const older = [...ids].filter((id) => current !== undefined && id !== current);
    if (current !== undefined && older.length > 0) newer.push({ what: image, from: older.sort().join(', '), to: current });
  }
  return { newer, warnings };
}
