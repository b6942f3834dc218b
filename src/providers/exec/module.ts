/** The exec provider as stack.yaml and the planner see it: `exec: { start, stop, status, shell, cwd, env }`. */

import type { ProviderModule } from '../../model/provider-module.js';
import { commandArgv } from '../../config/command.js';
import { resolvePath } from '../../config/paths.js';
import { checkCommand } from '../../config/service-rules.js';
import { prefixedFields } from '../../reconcile/spec.js';
import { EXEC_COMMANDS, type ExecSpec } from './spec.js';

export type { ExecSpec } from './spec.js';

type Command = string | (string | number | boolean)[];
interface ExecInput {
  start: Command;
  stop: Command;
  status: Command;
  shell?: boolean;
  cwd?: string;
  env?: Record<string, string | number | boolean>;
}

export const execModule: ProviderModule<'exec'> = {
  name: 'exec',
  key: 'exec',
  runs: 'start, stop and status commands',
  foreignKeyHints: { limits: 'an exec service runs what its start command starts, outside a process group of stack\'s: limit it there (systemd-run), or run it as a command: service' },
  schema: ({ z, ArgvSchema, NonEmptyString, EnvSchema }) => ({
    exec: z.strictObject({ start: ArgvSchema, stop: ArgvSchema, status: ArgvSchema, shell: z.boolean().optional(), cwd: NonEmptyString('a folder path').optional(), env: EnvSchema.optional() }),
  }),
  // Its commands, cwd and env reach a process: checked for NUL characters and literal secrets
  // as the process provider's are (config/process-values.ts).
  processValues: { commands: EXEC_COMMANDS.map((command) => ['exec', command]), strings: [['exec', 'cwd']], env: [['exec', 'env']] },
  check(name, service, locate) {
    const exec = service.exec as Partial<ExecInput> | undefined;
    if (typeof exec !== 'object' || exec === null) return [];
    return EXEC_COMMANDS.flatMap((command) => checkCommand(name, exec[command], exec.shell === true, locate, ['exec', command]));
  },
  folders(service) {
    const cwd = (service.exec as Partial<ExecInput> | undefined)?.cwd;
    return typeof cwd === 'string' ? [{ path: ['exec', 'cwd'], declared: cwd }] : [];
  },
  resolve({ name, input, root, locate }) {
    const exec = input.exec as ExecInput;
    const shell = exec.shell ?? false;
    const argv = (command: Command): string[] => commandArgv(command, shell).argv ?? [];
    const env = Object.fromEntries(Object.entries(exec.env ?? {}).map(([key, value]) => [key, String(value)]));
    const at: ExecSpec['at'] = {};
    for (const command of EXEC_COMMANDS) {
      const position = locate(['services', name, 'exec', command]);
      if (position) at[command] = position;
    }
    return { settings: { start: argv(exec.start), stop: argv(exec.stop), status: argv(exec.status), shell, cwd: resolvePath(root, exec.cwd ?? '.'), env, at }, issues: [] };
  },
  sensitiveField: ([key, sub, subKey]) => (key !== 'exec' ? undefined : sub === 'env' && typeof subKey === 'string' ? subKey : `exec.${String(sub)}`),
  // Recorded as JSON so that a service that left stack.yaml can still be stopped with its own command.
  specFields: (spec) => ({
    values: {
      'exec.start': JSON.stringify(spec.start),
      'exec.stop': JSON.stringify(spec.stop),
      'exec.status': JSON.stringify(spec.status),
      'exec.cwd': spec.cwd,
      ...prefixedFields('env.', spec.env),
    },
    install: [],
    files: 'files',
  }),
  create: async () => (await import('./exec-provider.js')).createExecProvider(),
};
