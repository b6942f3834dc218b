// The framing of one stream of a service's output, for the log relay written in JavaScript
// (log-relay-main.ts); native/log-relay.c does the same in C. The format: model/log-line.ts.
//
// Text here is the service's bytes read as latin1, one character per byte: the frame is ASCII,
// so framing a latin1 string and writing it back as latin1 keeps every byte as the service
// wrote it (invalid UTF-8 included), and a 64 KiB piece is 64 KiB of bytes.
import { frameLine } from '../model/log-line.js';

/** A line longer than this goes out in pieces (`O`/`E`), as native/log-relay.c cuts them. */
export const PIECE_BYTES = 64 * 1024;

export class LineFramer {
  private held = '';

  constructor(private readonly stream: 'stdout' | 'stderr') {}

  /** A partial line is held, waiting for its newline. */
  get holding(): boolean {
    return this.held.length > 0;
  }

  /** Frames what one read returned (as latin1) into `records`: each complete line, each 64 KiB piece; the rest is held. */
  push(text: string, at: string, records: string[]): void {
    let from = 0;
    while (from < text.length) {
      const newline = text.indexOf('\n', from);
      const end = newline < 0 ? text.length : newline;
      if (this.held.length + end - from > PIECE_BYTES) {
        const piece = PIECE_BYTES - this.held.length;
        records.push(this.record(text.slice(from, from + piece), at, true));
        from += piece;
      } else if (newline >= 0) {
        records.push(this.record(text.slice(from, newline), at, false));
        from = newline + 1;
      } else {
        this.held += text.slice(from);
        return;
      }
    }
  }

  /** What is held, into `records`: a piece of the line (a prompt, still waiting for its end), or at end of file the line's last part. */
  flush(at: string, records: string[], piece: boolean): void {
    if (this.holding) records.push(this.record('', at, piece));
  }

  private record(text: string, at: string, piece: boolean): string {
    const line = frameLine({ text: this.held + text, stream: this.stream, at, ...(piece ? { continues: true as const } : {}) });
    this.held = '';
    return line;
  }
}
