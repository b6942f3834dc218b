import { watch, type FSWatcher } from 'chokidar';
import { dirname } from 'node:path';
import type { Desired } from '../config/types.js';

/** Files and folders whose change means "reload and reconcile". */
export function watchedPaths(file: string, desired: Desired | undefined): { files: Set<string>; trees: Set<string> } {
  const files = new Set([file]);
  const trees = new Set<string>();
  for (const service of desired?.services ?? []) {
    for (const envFile of service.process?.envFiles ?? []) files.add(envFile);
    if (service.compose) files.add(service.compose.file);
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
  private watcher?: FSWatcher;
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
    await this.watcher?.close();
    const roots = [...new Set([...[...paths.files].map((file) => dirname(file)), ...paths.trees])];
    this.watcher = watch(roots, {
      ignoreInitial: true,
      depth: 8,
      atomic: true,
      // Only the folders of watched files (not their subfolders) and the plugin trees matter.
      ignored: (path) => this.isIgnored(path, roots),
    });
    this.watcher.on('all', (_event, path) => this.changed(path));
    await new Promise<void>((resolve) => this.watcher?.once('ready', () => resolve()));
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    await this.watcher?.close();
  }

  private isIgnored(path: string, roots: string[]): boolean {
    if (path.includes('/.git/') || path.endsWith('/.git') || path.includes('/node_modules/') || path.includes('/.stack')) return true;
    if (roots.includes(path) || this.files.has(path)) return false;
    if ([...this.trees].some((tree) => path === tree || path.startsWith(`${tree}/`))) return false;
    // A direct child of a watched folder that is not a watched file: not of interest.
    return roots.some((root) => dirname(path) === root) || !roots.some((root) => path.startsWith(`${root}/`));
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
