import { collectSecrets } from '../config/secrets.js';
import { createRedactor } from '../config/sensitive.js';
import type { Desired } from '../model/desired.js';
import type { Redact } from '../model/redact.js';

/**
 * Every secret a stack file declared since a long-running view began (the dashboard, `stack mcp`),
 * hidden in what it sends: a log's older lines hold the values a rotation replaced. A value
 * rotated away before the view began is not known to it, as to `stack logs`.
 */
export class SecretsSeen {
  private readonly secrets = new Set<string>();
  private learnt?: Desired;
  private redactAll: Redact = (text) => text;

  /** `text` with every secret seen so far hidden; `desired` (the file as now loaded) adds its own first. */
  redact(text: string, desired: Desired | undefined): string {
    if (desired && desired !== this.learnt) {
      this.learnt = desired;
      const known = this.secrets.size;
      for (const value of collectSecrets(desired)) this.secrets.add(value);
      if (this.secrets.size !== known) this.redactAll = createRedactor([...this.secrets]);
    }
    return this.redactAll(text);
  }

  /** The secret values seen so far. */
  values(): string[] {
    return [...this.secrets];
  }
}
