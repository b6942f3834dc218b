/** The swarm provider as stack.yaml and the planner see it: the `swarm:` map. */

import { swarmStackName, type SwarmSpec } from './spec.js';
import type { ProviderModule } from '../../model/provider-module.js';
import { resolvePath } from '../../config/paths.js';
import { prefixedFields } from '../../reconcile/spec.js';

declare module '../../model/desired.js' {
  interface ProviderSettings {
    swarm: SwarmSpec;
  }
}

interface SwarmInput {
  file: string;
  stack?: string;
  env?: Record<string, string | number | boolean>;
}

const TASK_USER = "a swarm task runs as the user its compose file names (compose's own user:)";

export const swarmModule: ProviderModule<'swarm'> = {
  name: 'swarm',
  foreignKeyHints: {
    user: TASK_USER,
    group: TASK_USER,
    replicas: 'swarm runs copies itself: deploy.replicas in the compose file',
    limits: 'swarm limits a task itself: set deploy.resources.limits in the compose file',
  },
  key: 'swarm',
  runs: 'a docker swarm stack',
  schema: ({ z, NonEmptyString, EnvSchema }) => ({
    swarm: z.strictObject({
      file: NonEmptyString('a compose file path'),
      stack: NonEmptyString('a swarm stack name').optional(),
      env: EnvSchema.optional(),
    }),
  }),
  processValues: { strings: [['swarm', 'file']], env: [['swarm', 'env']] },
  resolve({ name, input, root, project }) {
    const swarm = input.swarm as SwarmInput;
    const settings: SwarmSpec = {
      file: resolvePath(root, swarm.file),
      stack: swarmStackName(swarm.stack ?? `${project}-${name}`),
      env: Object.fromEntries(Object.entries(swarm.env ?? {}).map(([key, value]) => [key, String(value)])),
    };
    return { settings, issues: [] };
  },
  sensitiveField: ([key, sub, subKey]) => {
    if (key !== 'swarm' || typeof sub !== 'string') return undefined;
    if (sub === 'env') return typeof subKey === 'string' ? subKey : undefined;
    return `swarm.${sub}`;
  },
  specFields: (spec) => ({
    values: { 'swarm.file': spec.file, 'swarm.stack': spec.stack, ...prefixedFields('swarm.env.', spec.env) },
    install: ['swarm.file', 'swarm.stack'],
    files: 'files',
  }),
  create: async () => (await import('./swarm-provider.js')).createSwarmProvider(),
};
