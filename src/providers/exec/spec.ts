// The exec provider's part of a desired service: its own file so that module.ts (what
// stack.yaml and the planner see) and exec-provider.ts (the runtime) both import it.

/** A service run by three commands: `start` starts it, `stop` stops it, `status` exits 0 while it runs. */
export interface ExecSpec {
  start: string[];
  stop: string[];
  status: string[];
  shell: boolean;
  /** Absolute folder the commands run in. */
  cwd: string;
  env: Record<string, string>;
}

declare module '../../model/desired.js' {
  interface ProviderSettings {
    exec: ExecSpec;
  }
}
