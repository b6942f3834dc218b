import { open, stat, type FileHandle } from 'node:fs/promises';

/**
 * Follows one service log across rotations. A rotation renames the file (`x.log` → `x.log.1`)
 * and a new run writes a new `x.log`; following by path alone would lose what the old file got
 * between two reads, or read the new file from the old offset. So the open descriptor is kept:
 * the old file is read to its end before switching to the new one, and a file that shrank in
 * place (truncated) is read again from its start.
 */
export class LogFollower {
  private handle: FileHandle | undefined;
  private inode: number | undefined;
  private partial = '';

  constructor(
    private readonly file: string,
    /** Where to begin in the file as it is now (its size, to show only new lines). */
    private offset: number,
  ) {}

  /** The complete lines written since the last call, in order. */
  async read(): Promise<string[]> {
    if (!this.handle && !(await this.openCurrent())) return [];
    let text = await this.drain();
    const now = await stat(this.file).catch(() => undefined);
    if (now?.ino !== this.inode) {
      // Rotated (or removed): what the old file got since the drain above, then the new file.
      text += await this.drain();
      if (this.partial + text !== '' && !(this.partial + text).endsWith('\n')) text += '\n';
      await this.close();
      this.offset = 0;
      if (now && (await this.openCurrent())) text += await this.drain();
    }
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop() ?? '';
    return lines;
  }

  async close(): Promise<void> {
    await this.handle?.close().catch(() => undefined);
    this.handle = undefined;
    this.inode = undefined;
  }

  private async openCurrent(): Promise<boolean> {
    const handle = await open(this.file, 'r').catch(() => undefined);
    if (!handle) return false;
    this.handle = handle;
    this.inode = (await handle.stat()).ino;
    return true;
  }

  private async drain(): Promise<string> {
    const handle = this.handle;
    if (!handle) return '';
    const { size } = await handle.stat();
    if (size < this.offset) this.offset = 0;
    if (size === this.offset) return '';
    const buffer = Buffer.alloc(size - this.offset);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, this.offset);
    this.offset += bytesRead;
    return buffer.subarray(0, bytesRead).toString('utf8');
  }
}
