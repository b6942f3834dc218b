import { watch, type FSWatcher } from 'chokidar';
import { existsSync, lstatSync, realpathSync, watch as watchFolder, type FSWatcher as FolderWatcher } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Desired } from '../../model/desired.js';
import type { ProviderRegistry } from '../../providers/registry.js';

const IGNORED = /\/(\.git|node_modules|\.stack)(\/|$)/;

/** Files and folders whose change means "reload and reconcile": stack.yaml's and, per service, what its provider names. */
export async function watchedPaths(file: string, desired: Desired | undefined, providers: ProviderRegistry): Promise<{ files: Set<string>; trees: Set<string> }> {
  // The `.env` beside stack.yaml feeds interpolation.
  const files = new Set([file, join(dirname(file), '.env')]);
  const trees = new Set<string>();
  for (const service of desired?.services ?? []) {
    const provider = await providers.get(service.provider).catch(() => undefined);
    const paths = provider?.watchedPaths(service);
    for (const path of paths?.files ?? []) files.add(path);
    for (const tree of paths?.trees ?? []) trees.add(tree);
  }
  return { files, trees };
}

/**
 * Watches stack.yaml and what it references, debounced.
 *
 * Single files (stack.yaml, env files, compose files) are watched through their folder, with one
 * `fs.watch` per folder and the event's file name compared with the names wanted: editors that
 * save by writing a new file and renaming it over the old one, and `git pull`, replace the
 * inode, which a watch on the file alone would lose; a file deleted and written again later is
 * seen too. chokidar is not used for these folders: on every event in a folder it watches, it
 * reads the folder again and lstats every entry, so a service writing a log beside stack.yaml
 * cost the controller a rescan per write (a service that writes beside stack.yaml and crashes,
 * 40 restarts per run: crash → restarted 9.1–10.8 ms median before, 7.5–8.3 ms after). Plugin
 * folders, whole trees, are chokidar's (depth 8).
 */
export class FileWatcher {
  private folders = new Map<string, FolderWatcher>();
  /** Folders that could not be watched (not made yet, or a system limit): tried at every update. */
  private unwatched = new Map<string, string[]>();
  private warned = new Set<string>();
  private trees: FSWatcher | undefined;
  private timer?: NodeJS.Timeout;
  private files = new Set<string>();
  /** The real path of a watched file that is a symlink → the file as stack.yaml names it. */
  private aliases = new Map<string, string>();
  private treeRoots = new Set<string>();
  private key = '';

  constructor(
    private readonly onChange: (paths: string[]) => void,
    private readonly debounceMs = 100,
    /** Told once per folder and reason when a folder cannot be watched (e.g. the inotify limit). */
    private readonly onWarning: (message: string) => void = () => undefined,
  ) {}

  private pending = new Set<string>();

  /** Starts or retargets the watch; cheap when nothing changed. */
  async update(paths: { files: Set<string>; trees: Set<string> }): Promise<void> {
    // A file that is a symlink (a dotfiles manager's stack.yaml) is watched where it points too:
    // an edit of the target changes nothing in the link's folder.
    const aliases = new Map<string, string>();
    for (const file of paths.files) {
      const real = realPathOf(file);
      if (real !== file) aliases.set(real, file);
    }
    const key = JSON.stringify([[...paths.files].sort(), [...paths.trees].sort(), [...aliases.keys()].sort()]);
    if (key === this.key) {
      for (const [folder, files] of [...this.unwatched]) this.watchFolder(folder, files);
      return;
    }
    this.key = key;
    this.files = paths.files;
    this.aliases = aliases;
    this.treeRoots = paths.trees;
    await this.closeWatchers();
    const byFolder = new Map<string, string[]>();
    for (const file of [...paths.files, ...aliases.keys()]) byFolder.set(dirname(file), [...(byFolder.get(dirname(file)) ?? []), file]);
    for (const [folder, files] of byFolder) this.watchFolder(folder, files);
    if (paths.trees.size > 0) {
      // followSymlinks: false: a link in a plugin folder (to /usr, to a loop) is watched as a
      // link, never followed; following one to /usr took 83k inotify watches and 690 MB.
      const trees = watch([...paths.trees], { ignoreInitial: true, depth: 8, atomic: true, followSymlinks: false, ignored: (path) => IGNORED.test(path) });
      // Without following, chokidar reports each link it meets in its first scan as added,
      // ignoreInitial or not: a reload for nothing at every start of the watch.
      let scanned = false;
      trees.on('all', (event, path) => {
        if (!scanned && event === 'add' && isSymlink(path)) return;
        this.changed(path);
      });
      // Without a listener an 'error' event (ENOSPC, EACCES, ELOOP) throws and ends the controller.
      trees.on('error', (error) => this.treeError(error));
      this.trees = trees;
      await new Promise<void>((resolve) => trees.once('ready', () => resolve()));
      scanned = true;
    }
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    await this.closeWatchers();
  }

  private async closeWatchers(): Promise<void> {
    for (const watcher of this.folders.values()) watcher.close();
    this.folders.clear();
    this.unwatched.clear();
    await this.trees?.close();
    this.trees = undefined;
  }

  /** Watches `folder` for changes to `files`, by name: other files in it cost a comparison. */
  private watchFolder(folder: string, files: string[]): void {
    let watcher: FolderWatcher;
    try {
      watcher = watchFolder(folder, { persistent: true });
    } catch (error) {
      this.unwatched.set(folder, files);
      // A folder not made yet (an env file's) is normal: it is watched once it exists.
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && !this.warned.has(`${folder}:${code}`)) {
        this.warned.add(`${folder}:${code}`);
        const why = describeWatchError(error);
        this.onWarning(`cannot watch ${folder}: ${why}; its changes are seen at the next interval pass`);
      }
      return;
    }
    this.unwatched.delete(folder);
    this.folders.set(folder, watcher);
    const lost = (): void => {
      watcher.close();
      this.folders.delete(folder);
      this.unwatched.set(folder, files);
      for (const file of files) this.changed(this.named(file));
    };
    watcher.on('change', (event, name) => {
      // The folder itself was deleted or moved: a reload says what is missing; it is watched
      // again once it exists.
      if (event === 'rename' && !existsSync(folder)) return lost();
      // Some platforms give no name: any of the files may have changed.
      if (name === null) for (const file of files) this.changed(this.named(file));
      else {
        const path = join(folder, name.toString());
        this.changed(this.named(path));
      }
    });
    watcher.on('error', lost);
  }

  /** A part of a plugin folder that cannot be watched: said once per reason, the rest is still watched. */
  private treeError(error: unknown): void {
    const { code, path } = error as NodeJS.ErrnoException;
    const key = `tree:${code ?? (error as Error).message}`;
    if (this.warned.has(key)) return;
    this.warned.add(key);
    const where = path ?? [...this.treeRoots].join(', ');
    this.onWarning(`cannot watch ${where}: ${describeWatchError(error)}; its changes are seen at the next interval pass`);
  }

  /** The path as stack.yaml names it (a symlink's target → the symlink). */
  private named(path: string): string {
    return this.aliases.get(path) ?? path;
  }

  private changed(path: string): void {
    if (!this.files.has(path) && ![...this.treeRoots].some((tree) => path.startsWith(`${tree}/`) || path === tree)) return;
    this.pending.add(path);
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      const paths = [...this.pending];
      this.pending.clear();
      this.onChange(paths);
    }, this.debounceMs);
  }
}

function realPathOf(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    // Missing (an optional .env): watched by its name until it appears.
    return file;
  }
}

const WATCH_ERRORS: Record<string, string> = {
  ENOSPC: 'the inotify watch limit is reached (sysctl fs.inotify.max_user_watches)',
  EMFILE: 'the inotify instance limit is reached (sysctl fs.inotify.max_user_instances)',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ELOOP: 'a symlink loop',
};

function describeWatchError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  return (code && WATCH_ERRORS[code]) ?? (error instanceof Error ? error.message : String(error));
}

function isSymlink(path: string): boolean {
  return lstatSync(path, { throwIfNoEntry: false })?.isSymbolicLink() === true;
}
