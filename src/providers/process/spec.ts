// The process provider's settings of a desired service (`command`, `shell`, `cwd`, `env`,
// `envFile`, `user`, `group` resolved); module.ts adds them to the model's ProviderSettings.

import type { SourcePosition } from '../../model/errors.js';

export interface ProcessSpec {
  /** argv to exec; with `shell: true` this is `['/bin/sh', '-c', command]`. */
  argv: string[];
  shell: boolean;
  /** Absolute working directory. */
  cwd: string;
  /** Env declared in stack.yaml and env files (not the caller's environment). */
  env: Record<string, string>;
  /** Absolute env file paths, in precedence order (later wins). */
  envFiles: string[];
  /**
   * The user it runs as, a name or an id as written (`postgres`, `101`); absent: stack's own.
   * Looked up in /etc/passwd when stack.yaml loads (an unknown one is an invalid file) and again
   * at each start, where it becomes ids (os/accounts.ts).
   */
  user?: string;
  /** Its group instead of the user's own, a name or an id; only with `user`. */
  group?: string;
  /** Where `user` and `group` are written, for the load's message about an unknown one. */
  accountAt?: { user?: SourcePosition; group?: SourcePosition };
}
