import { formatIssue } from '../../config/issues.js';
import type { Desired } from '../../model/desired.js';
import type { StackError } from '../../model/errors.js';
import type { ControllerEvent } from './events.js';

/**
 * What the controller tells of the file it loads: its warnings (to the log) and why it does not
 * load (an `invalid-file` event), each once, and again only when it changes: not on every pass.
 */
export class FileNews {
  private warnings = '';
  private invalid = '';

  constructor(
    private readonly say: (line: string) => void,
    private readonly emit: (event: ControllerEvent) => void,
  ) {}

  /** Why stack.yaml did not load at the last try; undefined once it loads. */
  get notLoading(): string | undefined {
    return this.invalid || undefined;
  }

  loaded(desired: Desired): void {
    this.invalid = '';
    const lines = (desired.warnings ?? []).map((warning) => `warning: ${formatIssue(warning)}`);
    if (lines.join('\n') === this.warnings) return;
    this.warnings = lines.join('\n');
    for (const line of lines) this.say(line);
  }

  notLoaded(error: StackError): void {
    const message = [error.message, ...error.issues.map(formatIssue)].join('\n');
    if (message === this.invalid) return;
    this.invalid = message;
    this.emit({ type: 'invalid-file', message });
  }
}
