// The terminal under `stack top`: the alternate screen, raw keys, and the way back. Frames are
// whole screens of lines (frame.ts); a few escape sequences draw them, no library needed (the
// measured choice is in the issue 26 notes: lighter and quicker to start than ink or terminal-kit).

// Autowrap off while the view is shown: a character whose width was misjudged (an emoji with a
// variation selector, an ambiguous-width one) cuts a line short instead of scrolling the screen.
const ALTERNATE_ON = '\u001b[?1049h\u001b[?25l\u001b[?7l';
const ALTERNATE_OFF = '\u001b[?7h\u001b[?25h\u001b[?1049l';
/** Each line is written over a cleared one: nothing of the last frame stays at its end. */
const CLEAR_LINE = '\u001b[2K';
const HOME = '\u001b[H';

export interface ScreenHandlers {
  /** One key press (or an escape sequence such as an arrow key) as the terminal sent it. */
  onKey: (key: string) => void;
  onResize: () => void;
}

export class Screen {
  private opened = false;
  private last = '';
  private readonly restoreAtExit = () => this.close();
  private handlers?: ScreenHandlers;
  private readonly onData = (data: string) => {
    for (const key of splitKeys(data)) this.handlers?.onKey(key);
  };
  private readonly onResize = () => {
    this.last = '';
    this.handlers?.onResize();
  };

  constructor(
    private readonly input: NodeJS.ReadStream,
    private readonly output: NodeJS.WriteStream,
  ) {}

  size(): { columns: number; rows: number } {
    return { columns: this.output.columns || 80, rows: this.output.rows || 24 };
  }

  open(handlers: ScreenHandlers): void {
    this.handlers = handlers;
    this.opened = true;
    // However stack ends (an exception included), the terminal is given back as it was.
    process.once('exit', this.restoreAtExit);
    this.output.write(ALTERNATE_ON);
    this.input.setRawMode(true);
    this.input.setEncoding('utf8');
    this.input.on('data', this.onData);
    this.input.resume();
    this.output.on('resize', this.onResize);
  }

  /** Writes the frame over the last one; an unchanged frame is not written again. */
  draw(lines: readonly string[]): void {
    const frame = HOME + lines.map((line) => CLEAR_LINE + line).join('\r\n');
    if (!this.opened || frame === this.last) return;
    this.last = frame;
    this.output.write(frame);
  }

  close(): void {
    if (!this.opened) return;
    this.opened = false;
    process.off('exit', this.restoreAtExit);
    this.output.off('resize', this.onResize);
    this.input.off('data', this.onData);
    if (this.input.isTTY) this.input.setRawMode(false);
    this.input.pause();
    this.output.write(ALTERNATE_OFF);
  }
}

/** Keys typed quickly arrive together: each escape sequence (CSI) is one key, every other character too. */
export function splitKeys(data: string): string[] {
  // eslint-disable-next-line no-control-regex -- escape sequences are what is matched
  return data.match(/\u001b\[[0-9;]*[A-Za-z~]|\u001bO[A-Za-z]|[^]/gu) ?? [];
}
