// The exec provider's part of a desired service: its own file so that module.ts (what
// stack.yaml and the planner see) and exec-provider.ts (the runtime) both import it.

import type { SourcePosition } from '../../model/errors.js';

export const EXEC_COMMANDS = ['start', 'stop', 'status'] as const;
export type ExecCommand = (typeof EXEC_COMMANDS)[number];

/** A service run by three commands: `start` starts it, `stop` stops it, `status` exits 0 while it runs. */
export interface ExecSpec {
  start: string[];
  stop: string[];
  status: string[];
  shell: boolean;
  /** Absolute folder the commands run in. */
  cwd: string;
  env: Record<string, string>;
  /** Where each command is written in stack.yaml, for an error about it (not part of the spec). */
  at?: Partial<Record<ExecCommand, SourcePosition>>;
}

declare module '../../model/desired.js' {
  interface ProviderSettings {
    exec: ExecSpec;
  }
}
