import { open, stat, type FileHandle } from 'node:fs/promises';
import { readLogIndex, readRotatedRange, removedFrom, rotationUnderWay } from './log-index.js';

const NEWLINE = 0x0a;

/**
 * Follows one service log across both kinds of rotation.
 *
 * - At a (re)start the file is renamed (`x.log` → `x.log.1`) and the new run writes a new
 *   `x.log`. Following by path alone would lose what the old file got between two reads, so
 *   the open descriptor is kept: the old inode is read to its end before switching.
 * - While the service runs, its oldest blocks are cut from the front of the same inode
 *   (rotate-live.ts). The log index (log-index.ts) says how many bytes are gone; the read
 *   offset moves back by as much, and bytes cut before they were read are taken from the
 *   rotated file the index names. While a rotation is under way nothing is read, and a read
 *   that overlapped one is done again.
 *
 * Lines are split on bytes and decoded whole, so a character cut across two reads (or across
 * `.1` and the live file) comes out intact.
 */
export class LogFollower {
  private handle: FileHandle | undefined;
  private inode: number | undefined;
  /** Bytes cut from the front of the followed inode when it was last read. */
  private removed = 0;
  private partial: Buffer = Buffer.alloc(0);

  constructor(
    private readonly file: string,
    /** Where to begin in the file as it is now (its size, to show only new lines). */
    private offset: number,
  ) {}

  /** The complete lines written since the last call, in order. */
  async read(): Promise<string[]> {
    if (!this.handle && !(await this.openCurrent())) return [];
    const inode = this.inode as number;
    const before = await readLogIndex(this.file);
    if (await rotationUnderWay(this.file, before)) return [];
    const now = await stat(this.file).catch(() => undefined);

    // Worked out on copies, kept only if no rotation began or ended meanwhile.
    const chunks: Buffer[] = [];
    let offset = this.offset;
    let removed = this.removed;
    const removedNow = removedFrom(before, inode);
    if (removedNow > removed) {
      const cut = removedNow - removed;
      if (offset >= cut) {
        offset -= cut;
      } else {
        chunks.push(await readRotatedRange(this.file, before, inode, removed + offset, removedNow));
        offset = 0;
      }
      removed = removedNow;
    }
    const drained = await this.readFrom(offset);
    const after = await readLogIndex(this.file);
    if (after.generation !== before.generation || (await rotationUnderWay(this.file, after))) return [];
    this.offset = drained.next;
    this.removed = removed;
    chunks.push(drained.bytes);

    if (now?.ino !== inode) {
      // Renamed at a restart (or removed): what the old file got since, then the new file.
      const rest = await this.readFrom(this.offset);
      chunks.push(rest.bytes);
      const pending = Buffer.concat([this.partial, ...chunks]);
      if (pending.length > 0 && pending.at(-1) !== NEWLINE) chunks.push(Buffer.from('\n'));
      await this.close();
      // The new file is read from its first byte on the next call, through the cut logic
      // above: it may have been cut (by the apply that started it) before we ever opened it.
      this.offset = 0;
      if (now) await this.openCurrent({ fromStart: true });
    }
    return this.lines(chunks);
  }

  async close(): Promise<void> {
    await this.handle?.close().catch(() => undefined);
    this.handle = undefined;
    this.inode = undefined;
  }

  private lines(chunks: Buffer[]): string[] {
    const all = Buffer.concat([this.partial, ...chunks]);
    const end = all.lastIndexOf(NEWLINE);
    if (end < 0) {
      this.partial = all;
      return [];
    }
    this.partial = all.subarray(end + 1);
    return all.subarray(0, end).toString('utf8').split('\n');
  }

  /**
   * Opens the file now at the path. The offset counts from its first byte as it is now, or,
   * `fromStart`, from the first byte it ever had (what was cut is then read from `.1`, …).
   */
  private async openCurrent(options: { fromStart?: boolean } = {}): Promise<boolean> {
    const handle = await open(this.file, 'r').catch(() => undefined);
    if (!handle) return false;
    this.handle = handle;
    this.inode = (await handle.stat()).ino;
    this.removed = options.fromStart ? 0 : removedFrom(await readLogIndex(this.file), this.inode);
    return true;
  }

  /** The bytes from `offset` to the end of the open file, and where the next read begins. */
  private async readFrom(offset: number): Promise<{ bytes: Buffer; next: number }> {
    const handle = this.handle;
    if (!handle) return { bytes: Buffer.alloc(0), next: offset };
    const { size } = await handle.stat();
    // Shrunk with no cut recorded: truncated by someone else; read it again from its start.
    const start = size < offset ? 0 : offset;
    if (size === start) return { bytes: Buffer.alloc(0), next: start };
    const buffer = Buffer.alloc(size - start);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, start);
    return { bytes: buffer.subarray(0, bytesRead), next: start + bytesRead };
  }
}
