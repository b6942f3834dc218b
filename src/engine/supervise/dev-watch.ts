import { watch, type FSWatcher } from 'chokidar';
import { readFileSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import ignore, { type Ignore } from 'ignore';
import picomatch from 'picomatch';
import type { DesiredService, DevSpec } from '../../model/desired.js';

/** Never sources: version control, dependencies, stack's own folder. */
const ALWAYS_IGNORED = ['**/.git/**', '**/node_modules/**', '**/.stack/**'];

interface Watched {
  name: string;
  matches: (path: string) => boolean;
  debounceMs: number;
}

/**
 * The `watch:` globs of a stack's services (issue 31): one chokidar watcher over the folders the
 * globs start from; a change of a file one of them matches (and no `ignore` glob, nor the
 * `.gitignore` beside stack.yaml, leaves out) is told per service, debounced: a burst of saves
 * (an editor's write-and-rename, a `git checkout`, a formatter over 100 files) is one change.
 */
export class DevWatch {
  private watcher: FSWatcher | undefined;
  private key = '';
  private services: Watched[] = [];
  private readonly pending = new Map<string, { paths: Set<string>; timer: NodeJS.Timeout }>();

  constructor(
    private readonly root: string,
    private readonly onChange: (service: string, paths: string[]) => void,
    private readonly onWarning: (message: string) => void = () => undefined,
  ) {}

  /** Watches what `services` declare (those meant to run); cheap when that did not change. */
  async update(services: readonly DesiredService[]): Promise<void> {
    const watched = services.filter((service) => service.dev !== undefined && service.enabled && service.state === 'running');
    const key = JSON.stringify(watched.map((service) => [service.name, service.dev]));
    if (key === this.key) return;
    this.key = key;
    await this.watcher?.close();
    this.watcher = undefined;
    const gitignore = readGitignore(this.root);
    this.services = watched.map((service) => ({ name: service.name, matches: matcherOf(service.dev as DevSpec, gitignore), debounceMs: (service.dev as DevSpec).debounceMs }));
    const bases = [...new Set(watched.flatMap((service) => (service.dev as DevSpec).paths.map((glob) => baseOf(this.root, glob))))];
    if (bases.length === 0) return;
    const watcher = watch(bases, {
      ignoreInitial: true,
      // Folders no glob can match are not descended into.
      ignored: (path) => isAlwaysIgnored(path),
      awaitWriteFinish: false,
    });
    watcher.on('all', (_event, path) => this.seen(path));
    watcher.on('error', (error) => this.onWarning(`watch: ${error instanceof Error ? error.message : String(error)}`));
    this.watcher = watcher;
    await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  }

  async close(): Promise<void> {
    for (const { timer } of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
    this.key = '';
    await this.watcher?.close();
    this.watcher = undefined;
  }

  private seen(path: string): void {
    const rel = relative(this.root, path).split(sep).join('/');
    for (const service of this.services) {
      if (!service.matches(rel)) continue;
      const entry = this.pending.get(service.name);
      if (entry) clearTimeout(entry.timer);
      const paths = entry?.paths ?? new Set<string>();
      paths.add(rel);
      const timer = setTimeout(() => {
        this.pending.delete(service.name);
        this.onChange(service.name, [...paths].sort());
      }, service.debounceMs);
      this.pending.set(service.name, { paths, timer });
    }
  }
}

/** Whether `rel` (relative to the stack's folder, `/`-separated) is a source of `dev`. */
export function matcherOf(dev: DevSpec, gitignore: Ignore | undefined): (rel: string) => boolean {
  const wanted = picomatch(dev.paths, { dot: true });
  const left = picomatch([...ALWAYS_IGNORED, ...dev.ignore], { dot: true });
  return (rel) => {
    if (!wanted(rel) || left(rel)) return false;
    // Outside the stack's folder (`../shared/**`), .gitignore has no say.
    if (!dev.gitignore || !gitignore || rel.startsWith('../')) return true;
    return !gitignore.ignores(rel);
  };
}

/** The folder a glob starts from, absolute: `src/**\/*.ts` → `<root>/src`. */
function baseOf(root: string, glob: string): string {
  const { base } = picomatch.scan(glob);
  const absolute = isAbsolute(base) ? base : join(root, base);
  return absolute;
}

function isAlwaysIgnored(path: string): boolean {
  return /(^|[\\/])(\.git|node_modules|\.stack)([\\/]|$)/.test(path);
}

function readGitignore(root: string): Ignore | undefined {
  try {
    return ignore().add(readFileSync(join(root, '.gitignore'), 'utf8'));
  } catch {
    return undefined;
  }
}
