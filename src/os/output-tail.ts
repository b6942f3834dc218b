// Bounds on what stack keeps of a command's output: a plugin or probe may print gigabytes, and
// stack must not hold them (a plugin printing 1 GB once took 2.2 GB of stack's memory).

/** How much of a command's stdout or stderr is kept: its last 64 KiB. */
export const TAIL_BYTES = 64 * 1024;

/** How much of one line is handed over; the rest of a longer line is counted, not kept. */
export const LINE_LIMIT = 16 * 1024;

/**
 * The last `limit` bytes of a stream, taken chunk by chunk. What comes before them is dropped as
 * it arrives, so memory stays at about `limit` whatever the stream's length.
 */
export class OutputTail {
  private chunks: Buffer[] = [];
  private size = 0;
  /** Bytes dropped from the front. */
  dropped = 0;

  constructor(private readonly limit = TAIL_BYTES) {}

  push(chunk: Buffer | string): void {
    let bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (bytes.length >= this.limit) {
      this.dropped += this.size + bytes.length - this.limit;
      // A copy: a slice would keep the whole chunk alive.
      bytes = Buffer.from(bytes.subarray(bytes.length - this.limit));
      this.chunks = [];
      this.size = 0;
    }
    this.chunks.push(bytes);
    this.size += bytes.length;
    while (this.size - (this.chunks[0]?.length ?? 0) >= this.limit) {
      const first = this.chunks.shift() as Buffer;
      this.size -= first.length;
      this.dropped += first.length;
    }
  }

  /** The kept bytes as text; a character cut in two at the front shows as U+FFFD. */
  text(): string {
    const whole = Buffer.concat(this.chunks);
    const extra = Math.max(0, whole.length - this.limit);
    return whole.subarray(extra).toString('utf8');
  }

  /** True when the front of the output was dropped. */
  get cut(): boolean {
    return this.dropped > 0 || this.size > this.limit;
  }
}

/**
 * Splits text that arrives in pieces into lines, handing each over as it completes. A line
 * longer than `limit` characters is handed over cut, with how much was left out; the part left
 * out is never held.
 */
export function lineSplitter(onLine: (line: string) => void, limit = LINE_LIMIT): { push(text: string): void; end(): void } {
  let partial = '';
  let over = 0;
  const flush = (): void => {
    onLine(over > 0 ? `${partial} … [${over} more characters of this line not shown]` : partial);
    partial = '';
    over = 0;
  };
  const add = (piece: string): void => {
    const room = limit - partial.length;
    if (piece.length <= room) partial += piece;
    else {
      partial += piece.slice(0, Math.max(room, 0));
      over += piece.length - Math.max(room, 0);
    }
  };
  return {
    push(text) {
      let start = 0;
      for (let newline = text.indexOf('\n'); newline !== -1; newline = text.indexOf('\n', start)) {
        add(text.slice(start, newline));
        flush();
        start = newline + 1;
      }
      if (start < text.length) add(text.slice(start));
    },
    end() {
      if (partial !== '' || over > 0) flush();
    },
  };
}
