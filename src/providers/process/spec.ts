// The process provider's settings of a desired service (`command`, `shell`, `cwd`, `env`,
// `envFile` resolved); module.ts adds them to the model's ProviderSettings.

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
}
