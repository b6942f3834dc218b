/** The shape of a plugin's plugin.yaml: its identity and the shell commands of its lifecycle. */

import { z } from 'zod';
import { once } from './once.js';
import { getSchemaParts } from './schema.js';

export const LIFECYCLE_COMMANDS = ['install', 'start', 'stop', 'restart', 'status', 'logs', 'uninstall'] as const;
export type LifecycleCommand = (typeof LIFECYCLE_COMMANDS)[number];

/** Built at the first call, like getSchemaParts (a stack without plugins never needs them). */
export const getPluginSchemas = once(buildPluginSchemas);

function buildPluginSchemas() {
  const { DurationSchema, EnvSchema, NonEmptyString, PortSchema, StringList } = getSchemaParts();
  const ShellCommand = (what: string) =>
    z.string({ error: `expected the ${what} command (a shell command line)` }).min(1, { error: `the ${what} command must not be empty` });

  const timeoutShape = Object.fromEntries(LIFECYCLE_COMMANDS.map((command) => [command, DurationSchema.optional()])) as Record<
    LifecycleCommand,
    z.ZodOptional<typeof DurationSchema>
  >;

  const LifecycleTimeoutSchema = z
    .union([DurationSchema, z.strictObject(timeoutShape)], { error: 'expected a duration (for every command) or a map of command → duration' })
    .describe('How long each lifecycle command may run: one duration, or per command. Default: install 5m, the others 60s.');

  const LifecycleSchema = z
    .strictObject({
      install: ShellCommand('install').optional().describe('Runs when the plugin is enabled and whenever its files change.'),
      start: ShellCommand('start').describe('Starts the plugin; may return once it runs in the background.'),
      stop: ShellCommand('stop'),
      restart: ShellCommand('restart').optional().describe('Used by a restart instead of stop then start.'),
      status: ShellCommand('status').optional().describe('Exit 0 = running, 3 = stopped; JSON {"state": ...} or a first word on stdout wins.'),
      logs: ShellCommand('logs').optional().describe('Prints the logs; `stack logs -f` appends -f.'),
      uninstall: ShellCommand('uninstall').optional(),
      timeout: LifecycleTimeoutSchema.optional(),
    })
    .describe('Shell commands, run with sh -c in the plugin folder.');

  const PluginFileSchema = z
    .strictObject({
      name: NonEmptyString('a plugin name'),
      version: z.union([z.string(), z.number()], { error: 'expected a version like 1.2.0' }).optional(),
      description: z.string({ error: 'expected a description' }).optional(),
      lifecycle: LifecycleSchema,
      env: EnvSchema.optional(),
      envFile: z.union([NonEmptyString('an env file path'), StringList('env file path')], {
        error: 'expected an env file path or a list of them',
      }).optional(),
      ports: z.array(PortSchema, { error: 'expected a list of ports' }).optional(),
      ignore: StringList('glob').optional().describe('Globs (relative to the plugin folder) left out of its files digest.'),
      gitignore: z.boolean({ error: 'expected true or false' }).optional().describe("Leave what the folder's .gitignore files ignore out of its files digest (default true)."),
    })
    .describe('plugin.yaml: a plugin folder and how to drive its lifecycle.');

  return { PluginFileSchema };
}

export type PluginFile = z.infer<ReturnType<typeof buildPluginSchemas>['PluginFileSchema']>;
