// `stack` with compose services on a real docker engine, through the built CLI (bin/stack.cjs).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect } from 'vitest';
import { containersOf, docker, dockerIt, removeProject, requireDocker, TEST_IMAGE, uniqueProject, volumesOf } from '../support/docker.js';
import { Cleanup } from '../support/controller.js';
import { stack, stackAsync, tempStack } from '../support/stack-cli.js';
import { waitFor } from '../providers/helpers.js';

requireDocker();

const LOOP = 'trap "exit 0" TERM; while true; do sleep 0.2; done';

function composeFile(extra = '', command = LOOP): string {
  return `services:\n  web:\n    image: ${TEST_IMAGE}\n    command: ["sh", "-c", ${JSON.stringify(command)}]\n${extra}`;
}

const cleanups: (() => void)[] = [];
const running = new Cleanup();
afterEach(async () => {
  await running.run();
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

/** A stack with one compose service `web` (project `<stack project>-web`) and optional extra services. */
function composeStack(options: { compose?: string; wait?: boolean; more?: (composeProject: string) => string } = {}) {
  const project = uniqueProject('stk-cli');
  const wait = options.wait ? ', wait: true' : '';
  const yaml = (web = '') =>
    `version: 1\nproject: ${project}\nservices:\n  web:\n    provider: compose\n    compose: { file: ./compose.yaml${wait} }\n${web}${options.more?.(`${project}-web`) ?? ''}`;
  const stackDir = tempStack(yaml(), { 'compose.yaml': options.compose ?? composeFile() });
  cleanups.push(() => stackDir.cleanup());
  cleanups.push(() => removeProject(`${project}-web`));
  return { ...stackDir, project: `${project}-web`, setWeb: (web: string) => stackDir.write(yaml(web)) };
}

const applyYes = (file: string, ...args: string[]) => stack(['-f', file, 'apply', '--yes', ...args]);

describe('stack with compose services', () => {
  dockerIt('apply runs the project with compose labels; status and a second plan agree', () => {
    const s = composeStack();
    const applied = applyYes(s.file);
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);
    const [web] = containersOf(s.project);
    expect(web).toMatchObject({ service: 'web', state: 'running' });
    expect(web?.labels).toContain(`com.docker.compose.project=${s.project}`);
    const status = JSON.parse(stack(['-f', s.file, 'status', '--json']).stdout) as { services: { name: string; provider: string; observed: string }[] };
    expect(status.services).toEqual([expect.objectContaining({ name: 'web', provider: 'compose', observed: 'running' })]);
    expect(stack(['-f', s.file, 'plan', '--detailed-exitcode']).code).toBe(0);
  });

  dockerIt('state: stopped stops the container and keeps it; enabled: false removes it', () => {
    const s = composeStack();
    expect(applyYes(s.file).code).toBe(0);
    const [before] = containersOf(s.project);

    s.setWeb('    state: stopped\n');
    const stopped = applyYes(s.file);
    expect(stopped.stdout).toMatch(/- web\s+stop\s+state: stopped/);
    expect(stopped.code).toBe(0);
    expect(containersOf(s.project)).toEqual([expect.objectContaining({ id: before?.id, state: 'exited' })]);
    expect(stack(['-f', s.file, 'plan', '--detailed-exitcode']).code).toBe(0);

    s.setWeb('    enabled: false\n');
    const disabled = applyYes(s.file);
    expect(disabled.stdout).toMatch(/- web\s+uninstall\s+disabled in stack.yaml/);
    expect(disabled.code).toBe(0);
    expect(containersOf(s.project)).toEqual([]);
  });

  dockerIt("a stop keeps the compose file's stop_grace_period unless stack.yaml writes stop.timeout", () => {
    // sh as the container's PID 1 ignores SIGTERM: only the grace period's end (SIGKILL) stops it.
    const s = composeStack({ compose: composeFile('    stop_grace_period: 1s\n', 'while true; do sleep 0.2; done') });
    expect(applyYes(s.file).code).toBe(0);
    s.setWeb('    state: stopped\n');
    const stopped = stack(['-f', s.file, '--verbose', 'apply', '--yes']);
    expect(stopped.code, stopped.stderr).toBe(0);
    const stopLine = (text: string) => text.split('\n').find((line) => / stop( |$)/.test(line) && line.startsWith('$ docker'));
    // Not stack's default 10 s: compose's own, the file's 1 s.
    expect(stopLine(stopped.stderr)).toMatch(/ stop$/);
    expect(containersOf(s.project)).toEqual([expect.objectContaining({ state: 'exited' })]);

    s.setWeb('');
    expect(applyYes(s.file).code).toBe(0);
    s.setWeb('    state: stopped\n    stop: { timeout: 2s }\n');
    const written = stack(['-f', s.file, '--verbose', 'apply', '--yes']);
    expect(written.code, written.stderr).toBe(0);
    expect(stopLine(written.stderr)).toMatch(/ stop -t 2$/);
  });

  dockerIt('an edited compose file (or an env file it reads) plans a restart that recreates the container', () => {
    const s = composeStack({ compose: composeFile('    env_file: ./web.env\n') });
    writeFileSync(join(s.dir, 'web.env'), 'GREETING=hello\n');
    expect(applyYes(s.file).code).toBe(0);
    const [first] = containersOf(s.project);

    writeFileSync(join(s.dir, 'compose.yaml'), composeFile('    env_file: ./web.env\n    environment: { MODE: two }\n'));
    const plan = stack(['-f', s.file, 'plan']);
    expect(plan.stdout).toMatch(/~ web\s+stop\s+spec changed: files/);
    expect(applyYes(s.file).code).toBe(0);
    const [second] = containersOf(s.project);
    expect(second?.state).toBe('running');
    expect(second?.id).not.toBe(first?.id);

    writeFileSync(join(s.dir, 'web.env'), 'GREETING=bonjour\n');
    expect(applyYes(s.file).code).toBe(0);
    expect(containersOf(s.project)[0]?.id).not.toBe(second?.id);
  });

  dockerIt('a native service that dependsOn a compose service with wait: true starts only after it is healthy', async () => {
    const health = `    volumes: ["./gate:/gate"]\n    healthcheck: { test: ["CMD", "test", "-f", "/gate/ready"], interval: 1s, timeout: 1s, retries: 120 }\n`;
    // app records the health docker reports for web at the moment app starts.
    const s = composeStack({
      compose: composeFile(health),
      wait: true,
      more: (project) =>
        `  app:\n    command: [sh, -c, 'docker inspect --format "{{.State.Health.Status}}" $(docker ps -q --filter label=com.docker.compose.project=${project}) > seen.txt; exec sleep 600']\n    dependsOn: [web]\n`,
    });
    mkdirSync(join(s.dir, 'gate'));
    const run = stackAsync(['-f', s.file, 'apply', '--yes']);
    await waitFor(() => containersOf(s.project)[0]?.status.includes('health: starting'), 20_000, 'web to be health: starting');
    expect(existsSync(join(s.dir, 'seen.txt'))).toBe(false);
    writeFileSync(join(s.dir, 'gate', 'ready'), '');
    const done = await run.done;
    expect(done.stderr).toBe('');
    expect(done.code).toBe(0);
    expect(done.stdout.indexOf('web started')).toBeLessThan(done.stdout.indexOf('app started'));
    await waitFor(() => existsSync(join(s.dir, 'seen.txt')) && readFileSync(join(s.dir, 'seen.txt'), 'utf8').trim(), 10_000, 'app to record what it saw');
    expect(readFileSync(join(s.dir, 'seen.txt'), 'utf8').trim()).toBe('healthy');
  });

  dockerIt('an unreachable engine is exit 6 naming DOCKER_HOST, while native services still start', () => {
    const s = composeStack({ more: () => '  native:\n    command: [sleep, "600"]\n' });
    const result = stack(['-f', s.file, 'apply', '--yes'], { env: { DOCKER_HOST: 'unix:///nonexistent.sock' } });
    expect(result.code).toBe(6);
    expect(result.stdout).toMatch(/! web\s+unknown: the docker engine at DOCKER_HOST=unix:\/\/\/nonexistent\.sock is unreachable/);
    expect(result.stdout).toMatch(/✓ native started/);
    const pid = s.state().services.native?.pid as number;
    expect(() => process.kill(pid, 0)).not.toThrow();
    expect(stack(['-f', s.file, 'down', '--yes']).code).toBe(0);
  });

  dockerIt('--remove-volumes deletes the volumes of a disabled compose service; without it they are kept', () => {
    const volume = '    volumes: ["data:/data"]\nvolumes:\n  data: {}\n';
    const s = composeStack({ compose: composeFile(volume) });
    expect(applyYes(s.file).code).toBe(0);
    s.setWeb('    enabled: false\n');
    const kept = applyYes(s.file);
    expect(kept.stderr).toBe('');
    expect(kept.code).toBe(0);
    expect(volumesOf(s.project)).toHaveLength(1);

    s.setWeb('');
    expect(applyYes(s.file).code).toBe(0);
    s.setWeb('    enabled: false\n');
    const refused = stack(['-f', s.file, 'apply', '--remove-volumes']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('--remove-volumes: the volumes of web will be deleted');
    expect(volumesOf(s.project)).toHaveLength(1);
    const removed = applyYes(s.file, '--remove-volumes');
    expect(removed.code).toBe(0);
    expect(containersOf(s.project)).toEqual([]);
    expect(volumesOf(s.project)).toEqual([]);
  });

  dockerIt('stack exec runs the command in the running container: piped stdin (exec -T), its exit code passed on', () => {
    const s = composeStack();
    const before = stack(['-f', s.file, 'exec', 'web', '--', 'true']);
    expect(before.code).toBe(1);
    expect(before.stderr).toMatch(/^error: web is not running: stack exec runs the command in its container\n/);
    expect(applyYes(s.file).code).toBe(0);
    // The container's pid 1 is the compose file's loop: the command ran inside it.
    const result = stack(['-f', s.file, 'exec', 'web', '--', 'sh', '-c', 'cat; tr "\\0" " " < /proc/1/cmdline; exit 3'], { input: 'from stdin\n' });
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^from stdin\nsh -c trap "exit 0" TERM; while true/);
    expect(result.code).toBe(3);
  });

  dockerIt('logs and --verbose: compose logs are prefixed with the service; each docker command is printed once', () => {
    const s = composeStack({ compose: composeFile('', `echo hello from web; echo oops >&2; ${LOOP}`) });
    const applied = stack(['-f', s.file, '--verbose', 'apply', '--yes']);
    expect(applied.code).toBe(0);
    const upLines = applied.stderr.split('\n').filter((line) => / up -d /.test(line));
    expect(upLines).toHaveLength(1);
    expect(upLines[0]).toMatch(new RegExp(`^\\$ docker(-compose| compose) -p ${s.project} -f ${s.dir}/compose.yaml up -d --remove-orphans$`));
    const logs = stack(['-f', s.file, 'logs', 'web', '-n', '5']);
    expect(logs.code).toBe(0);
    expect(logs.stdout).toMatch(/^web \| .*hello from web$/m);
    // The engine's times and the container's stderr, as for every provider's lines.
    const json = stack(['-f', s.file, 'logs', 'web', '--json', '--since', '1m']);
    const rows = json.stdout.trim().split('\n').map((line) => JSON.parse(line) as { time: string; stream: string; line: string });
    // In the engine's order: it stamps each stream as it reads it, not in the order they were written.
    expect(rows.map((row) => [row.stream, row.line]).sort()).toEqual([['stderr', 'oops'], ['stdout', 'hello from web']]);
    expect(rows.map((row) => row.time)).toEqual(rows.map((row) => row.time).sort());
    for (const row of rows) expect(row.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(stack(['-f', s.file, 'logs', 'web', '--stderr']).stdout).toBe('web ! oops\n');
    expect(stack(['-f', s.file, 'logs', 'web', '--since', new Date(Date.now() + 60_000).toISOString()]).stdout).toBe('');
  });

  dockerIt('stack services of one compose project start in one `up -d` of all their services, on one network', () => {
    const project = uniqueProject('stk-one');
    const names = ['web', 'api', 'worker'];
    const compose = `services:\n${names.map((name) => `  ${name}:\n    image: ${TEST_IMAGE}\n    command: ["sh", "-c", ${JSON.stringify(LOOP)}]\n`).join('')}`;
    const services = names.map((name) => `  ${name}:\n    provider: compose\n    compose: { file: ./compose.yaml, project: ${project}, services: [${name}] }\n`).join('');
    const s = tempStack(`version: 1\nproject: ${project}\nservices:\n${services}`, { 'compose.yaml': compose });
    cleanups.push(() => s.cleanup());
    cleanups.push(() => removeProject(project));
    const applied = stack(['-f', s.file, '--verbose', 'apply', '--yes']);
    expect(applied.stderr).not.toContain('ambiguous');
    expect(applied.code).toBe(0);
    // Installed and started by the one command (no `up --no-start` before it).
    const ups = applied.stderr.split('\n').filter((line) => / up /.test(line));
    expect(ups).toEqual([expect.stringMatching(new RegExp(`^\\$ docker(-compose| compose) -p ${project} -f ${s.dir}/compose.yaml up -d --remove-orphans api web worker$`))]);
    expect(containersOf(project).map((container) => [container.service, container.state]).sort()).toEqual([['api', 'running'], ['web', 'running'], ['worker', 'running']]);
    expect(docker(['network', 'ls', '-q', '--filter', `label=com.docker.compose.project=${project}`]).stdout.trim().split('\n')).toHaveLength(1);
    expect(stack(['-f', s.file, 'plan', '--detailed-exitcode']).code).toBe(0);
  });

  dockerIt('removing one stack service of a shared compose project removes its containers only; the last one takes the project down', () => {
    const project = uniqueProject('stk-rm');
    const names = ['web', 'api'];
    const compose = `services:\n${names.map((name) => `  ${name}:\n    image: ${TEST_IMAGE}\n    command: ["sh", "-c", ${JSON.stringify(LOOP)}]\n`).join('')}`;
    const service = (name: string) => `  ${name}:\n    provider: compose\n    compose: { file: ./compose.yaml, project: ${project}, services: [${name}] }\n`;
    const s = tempStack(`version: 1\nproject: ${project}\nservices:\n${names.map(service).join('')}`, { 'compose.yaml': compose });
    cleanups.push(() => s.cleanup());
    cleanups.push(() => removeProject(project));
    expect(stack(['-f', s.file, 'apply', '--yes']).code).toBe(0);
    const api = containersOf(project).find((container) => container.service === 'api');

    s.write(`version: 1\nproject: ${project}\nservices:\n${service('api')}`);
    const removed = stack(['-f', s.file, 'apply', '--yes']);
    expect(removed.code).toBe(0);
    // web's container is gone; api's is the same one, still running, on the project's network.
    expect(containersOf(project).map((container) => [container.service, container.state, container.id])).toEqual([['api', 'running', api?.id]]);
    expect(docker(['network', 'ls', '-q', '--filter', `label=com.docker.compose.project=${project}`]).stdout.trim().split('\n')).toHaveLength(1);
    expect(stack(['-f', s.file, 'plan', '--detailed-exitcode']).code).toBe(0);

    // The last one: the project's network goes with it.
    s.write(`version: 1\nproject: ${project}\nservices: {}\n`);
    expect(stack(['-f', s.file, 'apply', '--yes']).code).toBe(0);
    expect(containersOf(project)).toEqual([]);
    expect(docker(['network', 'ls', '-q', '--filter', `label=com.docker.compose.project=${project}`]).stdout.trim()).toBe('');
  });

  dockerIt('stack up shows every start of a compose service from its first line: before up attached, after a restart, after a recreation', async () => {
    // Each start counts itself in a bind-mounted file and says so at once: first-1, first-2, …
    const count = 'n=$$(cat /data/n 2>/dev/null || echo 0); n=$$((n+1)); echo $$n > /data/n; echo first-$$n';
    const s = composeStack({ compose: composeFile('    volumes: ["./data:/data"]\n', `${count}; ${LOOP}`) });
    mkdirSync(join(s.dir, 'data'));
    const up = running.cli(['up', '--interval', '1s', '-f', s.file]);
    await up.waitForStderr(/stack is up \(pid \d+\)/, 30_000, 'the "stack is up" line');
    await up.waitForStdout(/^web\s*\| first-1$/m, 10_000, 'the line printed during the first pass');

    const [first] = containersOf(s.project);
    expect(docker(['restart', '-t', '1', first?.id ?? '']).status).toBe(0);
    await up.waitForStdout(/^web\s*\| first-2$/m, 15_000, 'the first line after a restart');

    writeFileSync(join(s.dir, 'compose.yaml'), composeFile('    volumes: ["./data:/data"]\n    environment: { MODE: two }\n', `${count}; ${LOOP}`));
    await waitFor(() => containersOf(s.project).some((container) => container.id !== first?.id && container.state === 'running'), 30_000, 'the recreated container');
    await up.waitForStdout(/^web\s*\| first-3$/m, 15_000, 'the first line of the recreated container');
    up.child.kill('SIGINT');
    const result = await up.done;
    expect(result.code, result.stderr).toBe(0);
    // Every line once: a follow started again does not repeat what was shown.
    expect(result.stdout.match(/^web\s*\| first-\d$/gm)).toEqual(['web | first-1', 'web | first-2', 'web | first-3']);
  }, 120_000);
});
