/** The compose provider as stack.yaml and the planner see it: the `compose:` map. */

import type { ComposeSpec } from './spec.js';
import type { ProviderModule } from '../../model/provider-module.js';
import { resolvePath } from '../../config/paths.js';
import { prefixedFields } from '../../reconcile/spec.js';

declare module '../../model/desired.js' {
  interface ProviderSettings {
    compose: ComposeSpec;
  }
}

interface ComposeInput {
  file: string;
  project?: string;
  services?: string[];
  profiles?: string[];
  scale?: Record<string, number>;
  wait?: boolean;
  env?: Record<string, string | number | boolean>;
}

/** `user:`/`group:` are a process service's: a container's user is its compose file's. */
const CONTAINER_USER = "a container runs as the user its compose file names (compose's own user:)";

export const composeModule: ProviderModule<'compose'> = {
  name: 'compose',
  rebuilds: 'image',
  foreignKeyHints: { user: CONTAINER_USER, group: CONTAINER_USER, replicas: 'compose runs copies itself: compose.scale here, or deploy.replicas in the compose file', limits: "compose limits a container itself: set deploy.resources.limits (memory, cpus, pids) in compose.yaml" },
  key: 'compose',
  runs: 'a docker compose project',
  schema: ({ z, NonEmptyString, StringList, WholeNumber, EnvSchema }) => ({
    compose: z.strictObject({
      file: NonEmptyString('a compose file path'),
      project: NonEmptyString('a compose project name').optional(),
      services: StringList('compose service name').optional(),
      profiles: StringList('profile name').optional(),
      scale: z.record(z.string(), WholeNumber(0)).optional(),
      wait: z.boolean().optional(),
      env: EnvSchema.optional(),
    }),
  }),
  processValues: { strings: [['compose', 'file']], env: [['compose', 'env']] },
  resolve({ name, input, root, instance }) {
    const compose = input.compose as ComposeInput;
    const settings = {
      file: resolvePath(root, compose.file),
      project: compose.project ?? `${instance}-${name}`,
      services: compose.services ?? [],
      profiles: compose.profiles ?? [],
      scale: compose.scale ?? {},
      wait: compose.wait ?? false,
      env: Object.fromEntries(Object.entries(compose.env ?? {}).map(([key, value]) => [key, String(value)])),
    };
    return { settings, issues: [] };
  },
  sensitiveField: ([key, sub, subKey]) => {
    if (key !== 'compose' || typeof sub !== 'string') return undefined;
    if (sub === 'env') return typeof subKey === 'string' ? subKey : undefined;
    return `compose.${sub}`;
  },
  // `wait` is left out: it changes how a start is awaited, not what runs.
  specFields: (spec) => ({
    values: {
      'compose.file': spec.file,
      'compose.project': spec.project,
      'compose.services': JSON.stringify(spec.services),
      'compose.profiles': JSON.stringify(spec.profiles),
      ...prefixedFields('compose.scale.', spec.scale),
      ...prefixedFields('compose.env.', spec.env),
    },
    install: ['compose.file', 'compose.project'],
    files: 'files',
  }),
  create: async () => (await import('./compose-provider.js')).createComposeProvider(),
};
