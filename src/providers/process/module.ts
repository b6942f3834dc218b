/** The process provider as stack.yaml and the planner see it: `command`, `shell`, `cwd`, `env`, `envFile`, `user`, `group`. */

import type { ProcessSpec } from './spec.js';
import type { ProviderModule, ResolveInput, SchemaKit } from '../../model/provider-module.js';
import type { ConfigIssue, SourcePosition } from '../../model/errors.js';
import { issueAt } from '../../config/issues.js';
import { commandArgv } from '../../config/command.js';
import { resolveServiceEnv } from '../../config/env-files.js';
import { resolvePath } from '../../config/paths.js';
import { checkCommand } from '../../config/service-rules.js';
import { checkReplicaPorts, MAX_REPLICAS } from '../../config/replicas.js';
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
  user?: string | number;
  group?: string | number;
}

export const processModule: ProviderModule<'process'> = {
  name: 'process',
  key: 'command',
  runs: 'a process',
  ownKeys: ['shell', 'cwd', 'env', 'envFile', 'user', 'group', 'replicas', 'limits'],
  runsTasks: true,
  rebuilds: 'command',
  schema: ({ z, ArgvSchema, NonEmptyString }) => ({
    command: ArgvSchema,
    shell: z.boolean(),
    cwd: NonEmptyString('a folder path'),
    user: AccountSchema(z, NonEmptyString, 'user').describe('The user the process runs as (a name or a numeric id); stack must run as root to use another.'),
    group: AccountSchema(z, NonEmptyString, 'group').describe("The process's group instead of the user's own (a name or a numeric id); only with user."),
    replicas: z
      .int({ error: (issue) => `expected a whole number of replicas, got ${JSON.stringify(issue.input)}` })
      .min(1, { error: 'replicas: 0 would run nothing: write state: stopped to stop the service' })
      .max(MAX_REPLICAS, { error: `expected at most ${MAX_REPLICAS} replicas` })
      .describe('How many processes to run (web.0 … web.N-1), each with STACK_REPLICA and ${replica} set to its number and each port moved up by it unless written with ${replica}.'),
  }),
  check: (name, service, locate) => [
    ...checkCommand(name, service.command, service.shell === true, locate),
    ...checkGroupNeedsUser(name, service, locate),
    ...checkReplicaPorts(name, service, locate),
  ],
  processValues: { commands: [['command']], strings: [['cwd']], env: [['env']], envFiles: [['envFile']] },
  resolve({ name, input, root, envFileTexts, locate }) {
    const declared = input as unknown as ProcessInput;
    const env = resolveServiceEnv(name, declared, root, envFileTexts, locate);
    const shell = declared.shell ?? false;
    const settings = {
      argv: commandArgv(declared.command, shell).argv ?? [],
      shell,
      cwd: resolvePath(root, declared.cwd ?? '.'),
      env: env.env,
      envFiles: env.envFiles,
      ...accountOf(declared, (key) => locate(['services', name, key])),
    };
    return { settings, sensitive: env.fromFiles, issues: env.issues };
  },
  sensitiveField: ([key]) => (key === 'command' || key === 'cwd' ? key : undefined),
  specFields: (spec) => ({
    values: {
      command: formatArgv(spec.argv),
      shell: String(spec.shell),
      cwd: spec.cwd,
      envFiles: JSON.stringify(spec.envFiles),
      ...prefixedFields('env.', spec.env),
      // Only when written: the spec hash of a service without them stays what it was.
      ...(spec.user === undefined ? {} : { user: spec.user }),
      ...(spec.group === undefined ? {} : { group: spec.group }),
    },
    install: [],
    files: 'files',
  }),
  // Accounts are read only for a stack that names one: every other load stays as it was.
  checkFiles: async (services) => {
    if (!services.some((service) => service.process?.user !== undefined)) return false;
    await (await import('./accounts.js')).checkAccounts(services);
    return true;
  },
  create: async () => (await import('./process-provider.js')).createProcessProvider(),
};

const AccountSchema = (z: SchemaKit['z'], NonEmptyString: SchemaKit['NonEmptyString'], what: 'user' | 'group') =>
  z.union([NonEmptyString(`a ${what} name or id`), z.number().int().min(0)], { error: `expected a ${what} name or a numeric id` });

function checkGroupNeedsUser(name: string, service: Readonly<Record<string, unknown>>, locate: ResolveInput['locate']): ConfigIssue[] {
  if (service.group === undefined || service.user !== undefined) return [];
  return [issueAt(locate, ['services', name, 'group'], 'group: needs user: (the group replaces the group of the user the process runs as)', 'add user:, or remove group:')];
}

/** `user` and `group` as text (YAML may read an id as a number), and where they are written. */
function accountOf(declared: ProcessInput, locate: (key: string) => SourcePosition | undefined): Pick<ProcessSpec, 'user' | 'group' | 'accountAt'> {
  if (declared.user === undefined) return {};
  const at = { user: locate('user'), ...(declared.group === undefined ? {} : { group: locate('group') }) };
  return {
    user: String(declared.user),
    ...(declared.group === undefined ? {} : { group: String(declared.group) }),
    accountAt: Object.fromEntries(Object.entries(at).filter(([, position]) => position !== undefined)),
  };
}
