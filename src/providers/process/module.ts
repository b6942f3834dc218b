/** The process provider as stack.yaml and the planner see it: `command`, `shell`, `cwd`, `env`, `envFile`. */

import type { ProcessSpec } from './spec.js';
import type { ProviderModule } from '../../model/provider-module.js';
import { commandArgv } from '../../config/command.js';
import { resolveServiceEnv } from '../../config/env-files.js';
import { resolvePath } from '../../config/paths.js';
import { checkCommand } from '../../config/service-rules.js';
import { formatArgv, prefixedFields } from '../../reconcile/spec.js';

declare module '../../model/desired.js' {
  interface ProviderSettings {
    process: ProcessSpec;
  }
}

interface ProcessInput {
  command: string | (string | number | boolean)[];
  shell?: boolean;
  cwd?: string;
  env?: Record<string, string | number | boolean>;
  envFile?: string | string[];
}

export const processModule: ProviderModule<'process'> = {
  name: 'process',
  key: 'command',
  runs: 'a process',
  ownKeys: ['shell', 'cwd', 'env', 'envFile'],
  schema: ({ z, ArgvSchema, NonEmptyString }) => ({ command: ArgvSchema, shell: z.boolean(), cwd: NonEmptyString('a folder path') }),
  check: (name, service, locate) => checkCommand(name, service.command, service.shell === true, locate),
  processValues: { commands: [['command']], strings: [['cwd']], env: [['env']], envFiles: [['envFile']] },
  resolve({ name, input, root, envFileTexts, locate }) {
    const declared = input as unknown as ProcessInput;
    const env = resolveServiceEnv(name, declared, root, envFileTexts, locate);
    const shell = declared.shell ?? false;
    const settings = { argv: commandArgv(declared.command, shell).argv ?? [], shell, cwd: resolvePath(root, declared.cwd ?? '.'), env: env.env, envFiles: env.envFiles };
    return { settings, sensitive: env.fromFiles, issues: env.issues };
  },
  sensitiveField: ([key]) => (key === 'command' || key === 'cwd' ? key : undefined),
  specFields: (spec) => ({
    values: { command: formatArgv(spec.argv), shell: String(spec.shell), cwd: spec.cwd, envFiles: JSON.stringify(spec.envFiles), ...prefixedFields('env.', spec.env) },
    install: [],
    files: 'files',
  }),
  create: async () => (await import('./process-provider.js')).createProcessProvider(),
};
