import { watch, type FSWatcher } from 'chokidar';
import { dirname, join } from 'node:path';
import type { Desired } from '../config/types.js';

const IGNORED = /\/(\.git|node_modules|\.stack)(\/|$)/;

/** Files and folders whose change means "reload and reconcile". */
export function watchedPaths(file: string, desired: Desired | undefined): { files: Set<string>; trees: Set<string> } {
  // The `.env` beside stack.yaml feeds interpolation.
  const files = new Set([file, join(dirname(file), '.env')]);
  const trees = new Set<string>();
  for (const service of desired?.services ?? []) {
    for (const envFile of [...(service.process?.envFiles ?? []), ...(service.plugin?.envFiles ?? [])]) files.add(envFile);
    if (service.compose) {
      files.add(service.compose.file);
      files.add(join(dirname(service.compose.file), '.env'));
    }
    if (service.plugin) trees.add(service.plugin.dir);
  }
  return { files, trees };
}

/**
 * Watches stack.yaml and what it references, debounced. Folders are watched rather than the
 * files themselves: editors that save by writing a new file and renaming it over the old one,
 * and `git pull`, replace the inode, which a watch on the file alone would lose.
 */
export class FileWatcher {
  private watchers: FSWatcher[] = [];
  private timer?: NodeJS.Timeout;
  private files = new Set<string>();
  private trees = new Set<string>();
  private key = '';

  constructor(
    private readonly onChange: (paths: string[]) => void,
    private readonly debounceMs = 100,
  ) {}

  private pending = new Set<string>();

  /** Starts or retargets the watch; cheap when nothing changed. */
  async update(paths: { files: Set<string>; trees: Set<string> }): Promise<void> {
    const key = JSON.stringify([[...paths.files].sort(), [...paths.trees].sort()]);
    if (key === this.key) return;
    this.key = key;
    this.files = paths.files;
    this.trees = paths.trees;
    await this.closeWatchers();
    const folders = [...new Set([...paths.files].map((file) => dirname(file)))];
    // The folders of single files are watched one level deep only: `.stack/` and the rest of
    // the project change on every restart and must not cost a rescan.
    this.watchers = [
      this.watch(folders, 0, paths.files),
      ...(paths.trees.size > 0 ? [this.watch([...paths.trees], 8)] : []),
    ];
    await Promise.all(this.watchers.map((watcher) => new Promise<void>((resolve) => watcher.once('ready', () => resolve()))));
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    await this.closeWatchers();
  }

  private async closeWatchers(): Promise<void> {
    await Promise.all(this.watchers.map((watcher) => watcher.close()));
    this.watchers = [];
  }

  /**
   * `only`: in these folders, only these files matter. Everything else in them is ignored up
   * front, so a service writing beside stack.yaml (a log, a build) costs chokidar no stat per
   * write (measured: ~3 ms of each crash → restart when the service wrote there).
   */
  private watch(roots: string[], depth: number, only?: ReadonlySet<string>): FSWatcher {
    const rootSet = new Set(roots);
    const watcher = watch(roots, {
      ignoreInitial: true,
      depth,
      atomic: true,
      ignored: (path) => IGNORED.test(path) || (only !== undefined && !only.has(path) && !rootSet.has(path)),
    });
    watcher.on('all', (_event, path) => this.changed(path));
    return watcher;
  }

  private changed(path: string): void {
    if (!this.files.has(path) && ![...this.trees].some((tree) => path.startsWith(`${tree}/`) || path === tree)) return;
    this.pending.add(path);
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      const paths = [...this.pending];
      this.pending.clear();
      this.onChange(paths);
    }, this.debounceMs);
  }
}
