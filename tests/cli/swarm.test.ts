// `stack` with swarm services on a real docker engine that is a one-node swarm manager
// (scripts/docker-test-env.sh makes it one), through the built CLI (bin/stack.cjs).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect } from 'vitest';
import { docker, dockerIt, requireDocker, SKIP_DOCKER, TEST_IMAGE, uniqueProject } from '../support/docker.js';
import { fakeCommands } from '../support/fake-commands.js';
import { commitFiles, GIT_ENV, gitIn, makeRemoteSetup, removeTempFolders } from '../support/git-repo.js';
import { stack, tempStack } from '../support/stack-cli.js';
import { startCli } from '../support/controller.js';
import { waitFor } from '../support/wait.js';
import { desiredService } from '../support/desired-service.js';
import type { AppliedService } from '../../src/model/observed.js';
import type { OperationContext } from '../../src/model/provider.js';
import { runCommand } from '../../src/os/runner.js';
import { engineGetFor } from '../../src/providers/compose/engine-api.js';
import { swarmEngineOver } from '../../src/providers/swarm/engine.js';
import { deployedService, type InspectedService } from '../../src/providers/swarm/fields.js';
import { stackCommands } from '../../src/providers/swarm/stack-commands.js';
import type { TaskRow } from '../../src/providers/swarm/status.js';
import { createSwarmProvider } from '../../src/providers/swarm/swarm-provider.js';

requireDocker();
beforeAll(() => {
  if (SKIP_DOCKER) return;
  if (docker(['info', '--format', '{{.Swarm.ControlAvailable}}']).stdout.trim() !== 'true') {
    throw new Error('the swarm tests need the engine to be a swarm manager: run `bash scripts/docker-test-env.sh` (it runs `docker swarm init --advertise-addr 127.0.0.1`)');
  }
});

const LOOP = 'trap "exit 0" TERM; echo started $$MODE; while true; do sleep 0.2; done';

/** One compose service `web`, quick to stop, updated one task at a time. */
function composeFile(options: { replicas?: number; command?: string; mode?: string; extra?: string } = {}): string {
  return [
    'version: "3.8"',
    'services:',
    '  web:',
    `    image: ${TEST_IMAGE}`,
    `    command: ["sh", "-c", ${JSON.stringify(options.command ?? LOOP)}]`,
    `    environment: { MODE: ${options.mode ?? 'one'}, API_TOKEN: hunter2-token }`,
    '    stop_grace_period: 2s',
    '    deploy:',
    `      replicas: ${options.replicas ?? 2}`,
    '      update_config: { parallelism: 1, delay: 0s, monitor: 1s, order: start-first }',
    ...(options.extra ? [options.extra] : []),
    '',
  ].join('\n');
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
  removeTempFolders();
});

function swarmStack() {
  const project = uniqueProject('stk-swarm');
  const stackName = `${project}-app`;
  const yaml = (app = '') => `version: 1\nproject: ${project}\nservices:\n  app:\n    provider: swarm\n    swarm: { file: ./compose.yaml }\n${app}`;
  const dir = tempStack(yaml(), { 'compose.yaml': composeFile() });
  cleanups.push(() => dir.cleanup());
  cleanups.push(() => removeStack(stackName));
  return { ...dir, stackName, setApp: (app: string) => dir.write(yaml(app)), setCompose: (text: string) => writeFileSync(join(dir.dir, 'compose.yaml'), text) };
}

/** Only this test's stack: the engine is shared. */
function removeStack(name: string): void {
  docker(['stack', 'rm', name]);
}

function replicas(stackName: string): string[] {
  return docker(['service', 'ls', '--filter', `label=com.docker.stack.namespace=${stackName}`, '--format', '{{.Name}} {{.Replicas}}']).stdout.split('\n').filter(Boolean);
}

function inspectWeb(stackName: string): { args: string[]; replicas: number; update?: string } {
  const [service] = JSON.parse(docker(['service', 'inspect', `${stackName}_web`]).stdout) as { Spec: { TaskTemplate: { ContainerSpec: { Args: string[] } }; Mode: { Replicated: { Replicas: number } } }; UpdateStatus?: { State: string } }[];
  return { args: service!.Spec.TaskTemplate.ContainerSpec.Args, replicas: service!.Spec.Mode.Replicated.Replicas, update: service!.UpdateStatus?.State };
}

const applyYes = (file: string) => stack(['-f', file, 'apply', '--yes']);
const plan = (file: string) => stack(['-f', file, 'plan']);

describe('stack with swarm services', () => {
  dockerIt(
    'deploys and waits for the replicas; a replica change and a new command are planned as field diffs and rolled out; a manual scale is drift',
    () => {
      const s = swarmStack();
      const first = applyYes(s.file);
      expect(first.stderr).toBe('');
      expect(first.code).toBe(0);
      // Apply waited for readiness: both tasks run when it returns.
      expect(replicas(s.stackName)).toEqual([`${s.stackName}_web 2/2`]);
      const status = JSON.parse(stack(['-f', s.file, 'status', '--json']).stdout) as { services: { name: string; provider: string; observed: string }[] };
      expect(status.services).toEqual([expect.objectContaining({ name: 'app', provider: 'swarm', observed: 'running' })]);
      expect(stack(['-f', s.file, 'plan', '--detailed-exitcode']).code).toBe(0);

      s.setCompose(composeFile({ replicas: 3 }));
      expect(plan(s.file).stdout).toContain('swarm.web.replicas: "2" → "3"');
      expect(applyYes(s.file).code).toBe(0);
      expect(replicas(s.stackName)).toEqual([`${s.stackName}_web 3/3`]);

      s.setCompose(composeFile({ replicas: 3, command: `${LOOP} # v2`, mode: 'two' }));
      const rolling = plan(s.file);
      expect(rolling.stdout).toMatch(/swarm\.web\.command: .*\{\+# v2\+\}/);
      expect(rolling.stdout).toContain('swarm.web.env.MODE: "one" → "two"');
      expect(rolling.stdout).not.toContain('hunter2');
      const rolled = applyYes(s.file);
      expect(rolled.code).toBe(0);
      expect(rolled.stdout).toMatch(/app restarted/);
      expect(inspectWeb(s.stackName)).toMatchObject({ args: ['sh', '-c', `${LOOP.replace('$$', '$')} # v2`], update: 'completed' });
      expect(stack(['-f', s.file, 'plan', '--detailed-exitcode']).code).toBe(0);

      expect(docker(['service', 'scale', '--detach', `${s.stackName}_web=5`]).status).toBe(0);
      const drifted = plan(s.file);
      expect(drifted.stdout).toMatch(/~ app\s+stop\s+drift: swarm\.web\.replicas/);
      expect(drifted.stdout).toContain('swarm.web.replicas: "5" → "3"');
      expect(applyYes(s.file).code).toBe(0);
      expect(inspectWeb(s.stackName).replicas).toBe(3);
      expect(stack(['-f', s.file, 'plan', '--detailed-exitcode']).code).toBe(0);
    },
    240_000,
  );

  dockerIt(
    'state: stopped scales to 0 and back (and a controller scales it back to 0 when scaled up by hand); enabled: false removes the stack with nothing left',
    async () => {
      const s = swarmStack();
      expect(applyYes(s.file).code).toBe(0);
      s.setApp('    state: stopped\n');
      const stopped = applyYes(s.file);
      expect(stopped.stdout).toMatch(/- app\s+stop\s+state: stopped/);
      expect(stopped.code).toBe(0);
      expect(replicas(s.stackName)).toEqual([`${s.stackName}_web 0/0`]);
      expect(stack(['-f', s.file, 'plan', '--detailed-exitcode']).code).toBe(0);

      // Under a controller, a stopped stack scaled up by hand is stopped again, by its next pass
      // (its machine stood stopped: the stop was taken as done, every pass, while 3 tasks ran).
      const controller = startCli(['-f', s.file, 'watch', '--interval', '1s']);
      try {
        await controller.waitForStderr(/watching/, 30_000);
        expect(docker(['service', 'scale', '--detach', `${s.stackName}_web=3`]).status).toBe(0);
        await controller.waitForStderr(/✓ app stopped/, 60_000, 'the controller to stop the stack scaled up by hand');
        await waitFor(() => replicas(s.stackName)[0] === `${s.stackName}_web 0/0`, 60_000, 'the stack back at 0 replicas');
      } finally {
        controller.child.kill('SIGTERM');
        await controller.done;
      }

      s.setApp('');
      expect(applyYes(s.file).code).toBe(0);
      expect(replicas(s.stackName)).toEqual([`${s.stackName}_web 2/2`]);

      s.setApp('    enabled: false\n');
      const removed = applyYes(s.file);
      expect(removed.stdout).toMatch(/- app\s+uninstall\s+disabled in stack.yaml/);
      expect(removed.code).toBe(0);
      const label = `label=com.docker.stack.namespace=${s.stackName}`;
      expect(docker(['service', 'ls', '-q', '--filter', label]).stdout.trim()).toBe('');
      expect(docker(['network', 'ls', '-q', '--filter', label]).stdout.trim()).toBe('');
      expect(docker(['ps', '-aq', '--filter', label]).stdout.trim()).toBe('');
    },
    180_000,
  );

  dockerIt(
    'a failed rolling update fails the apply with the task error and leaves the old tasks running; the engine\'s API reads it as the docker CLI does',
    async () => {
      const s = swarmStack();
      expect(applyYes(s.file).code).toBe(0);
      s.setCompose(composeFile({ command: 'echo broken; exit 3' }));
      const failed = applyYes(s.file);
      expect(failed.code).toBe(1);
      expect(failed.stderr + failed.stdout).toMatch(/the update of web ended paused.*non-zero exit \(3\)/);
      expect(replicas(s.stackName)).toEqual([`${s.stackName}_web 2/2`]);
      expect(inspectWeb(s.stackName).update).toBe('paused');
      expect(stack(['-f', s.file, 'status', '--json']).stdout).toContain('update of web paused');

      // The engine's API and the docker CLI read the same swarm: the rows, the specs, the failed
      // tasks, and so the provider's view (one given its own `run` asks the CLI alone). The paused
      // update's new task is restarted every few seconds, so the swarm moves between two reads:
      // each pair is read until it agrees (a difference in how either reads never does).
      const ctx: OperationContext = { signal: new AbortController().signal, root: s.dir, stateDir: join(s.dir, '.stack'), redact: (text) => text };
      const spec = { file: join(s.dir, 'compose.yaml'), stack: s.stackName, env: {} };
      const viaEngine = stackCommands(runCommand, 'app', spec, ctx, swarmEngineOver(engineGetFor(process.env)));
      const viaCli = stackCommands(runCommand, 'app', spec, ctx);
      const sameBothWays = async <T>(what: string, engineRead: () => Promise<T>, cliRead: () => Promise<T>): Promise<T> => {
        let pair: [T, T] | undefined;
        await waitFor(async () => {
          pair = [await engineRead(), await cliRead()];
          return JSON.stringify(pair[0]) === JSON.stringify(pair[1]);
        }, 60_000, `${what} read the same both ways`).catch(() => undefined);
        expect(pair?.[0], what).toEqual(pair?.[1]);
        return pair?.[0] as T;
      };
      const shortIds = (rows: { id: string }[]) => rows.map((row) => ({ ...row, id: row.id.slice(0, 12) }));
      const services = await viaEngine.services();
      await sameBothWays('the services', async () => shortIds(await viaEngine.services()), () => viaCli.services());
      const ids = services.map((row) => row.id);
      // What stack reads of a spec (the CLI prints some zero values the API leaves out).
      const read = (inspected: InspectedService[]) => inspected.map((one) => ({ id: one.ID, deployed: deployedService(one.Spec.Name, one), update: one.UpdateStatus }));
      await sameBothWays('the specs', async () => read(await viaEngine.inspect(ids)), async () => read(await viaCli.inspect(ids)));
      const withoutAgo = (rows: TaskRow[]) => rows.map((row) => ({ ...row, currentState: row.currentState.replace(/ .* ago$/, '') }));
      // Each reads the services first: the engine's tasks name their service by the listing's ids.
      const tasksViaEngine = async () => {
        await viaEngine.services();
        return viaEngine.tasks(ids);
      };
      const tasks = await sameBothWays('the tasks', tasksViaEngine, async () => withoutAgo(await viaCli.tasks(ids)));
      expect(tasks.some((task) => task.currentState === 'Failed' && task.error.includes('non-zero exit (3)'))).toBe(true);
      const service = desiredService({
        name: 'app', index: 0, provider: 'swarm', enabled: true, state: 'running', dependsOn: [], ports: [], sensitive: [],
        start: { settleMs: 0 }, stop: { signal: 'SIGTERM', timeoutMs: 5000 }, logs: { maxSizeBytes: 1, maxFiles: 1 },
        restart: { policy: 'no', maxRestarts: 0, backoff: { initialMs: 1, maxMs: 1, resetMs: 1 } },
        swarm: spec,
      });
      const applied: AppliedService = { provider: 'swarm', specHash: 'h', installHash: 'i', restarts: 0, fields: {}, stoppedByUs: false };
      await sameBothWays('the provider\'s view', () => createSwarmProvider().observe('app', service, applied, ctx), () => createSwarmProvider({ run: runCommand }).observe('app', service, applied, ctx));
    },
    180_000,
  );

  dockerIt('not a swarm manager: exit 6 with the fix in one line; a process service in the same file still starts', () => {
    const dir = tempStack(`version: 1\nproject: ${uniqueProject('stk-noswarm')}\nservices:\n  app:\n    swarm: { file: ./compose.yaml }\n  plain:\n    command: sleep 60\n`, { 'compose.yaml': composeFile() });
    cleanups.push(() => dir.cleanup());
    const fake = fakeCommands(dir.dir, { docker: { 'version*': { stdout: '20.10.24' }, 'info*': { stdout: '{"LocalNodeState":"inactive","ControlAvailable":false}' } } });
    // The stand-in docker CLI speaks for the engine: stack asks the engine's API only where the CLI
    // would, and with DOCKER_HOST on a socket nobody serves it asks the (stand-in) CLI.
    const result = stack(['-f', dir.file, 'apply', '--yes'], { env: { PATH: `${fake.bin}:${process.env.PATH}`, DOCKER_HOST: `unix://${join(dir.dir, 'no-engine.sock')}` } });
    expect(result.code).toBe(6);
    expect(result.stdout + result.stderr).toMatch(/this docker engine is not part of a swarm.*docker swarm init.*DOCKER_HOST.*docker context/);
    expect(result.stdout).toMatch(/plain started/);
    expect(fake.calls().some((call) => call.startsWith('docker stack'))).toBe(false);
  });

  dockerIt(
    'stack sync: a merged change of the compose file rolls out to the cluster',
    () => {
      const project = uniqueProject('stk-sync');
      const stackName = `${project}-app`;
      const files = { 'stack.yaml': `version: 1\nproject: ${project}\nservices:\n  app:\n    swarm: { file: ./compose.yaml }\n`, 'compose.yaml': composeFile(), '.gitignore': '.stack/\n' };
      const { upstream, follower } = makeRemoteSetup(files);
      cleanups.push(() => removeStack(stackName));
      expect(stack(['apply', '--yes'], { cwd: follower, env: GIT_ENV }).code).toBe(0);
      expect(replicas(stackName)).toEqual([`${stackName}_web 2/2`]);

      commitFiles(upstream, { 'compose.yaml': composeFile({ replicas: 3 }) }, 'three web replicas');
      gitIn(upstream, 'push', '--quiet', 'origin', 'main');
      const synced = stack(['sync', '--once'], { cwd: follower, env: GIT_ENV });
      expect(synced.stderr).toBe('');
      expect(synced.code).toBe(0);
      expect(synced.stdout).toContain('swarm.web.replicas: "2" → "3"');
      expect(replicas(stackName)).toEqual([`${stackName}_web 3/3`]);
    },
    180_000,
  );
});
