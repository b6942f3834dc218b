// Issue 34, point 4: `stack apply` of 5 compose services beside `docker-compose up -d` of the same
// compose file, from nothing until the command returns with all 5 containers running. Each round
// removes only its own compose projects (`down -t 0` by project name), never anyone else's.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { NODE, run, STACK, timeCommand, writeFile } from '../lib.mjs';
import { interleave } from './rounds.mjs';

const SERVICES = ['c0', 'c1', 'c2', 'c3', 'c4'];
const IMAGE = process.env.STACK_TEST_IMAGE ?? 'stack-test/busybox:latest';
const SCENARIO = 'apply 5 compose services';
const PEER = 'docker-compose up -d';

/** The compose CLI the machine has: the v2 plugin, else v1; undefined with the reason when there is none or no engine answers. */
function composeCli() {
  const answers = (argv) => run(argv, { timeout: 20_000 }).status === 0;
  if (!answers(['docker', 'version', '--format', '{{.Server.Version}}'])) return { reason: 'no docker engine answers' };
  if (!answers(['docker', 'image', 'inspect', IMAGE])) return { reason: `the image ${IMAGE} is missing (scripts/docker-test-env.sh builds it)` };
  if (answers(['docker', 'compose', 'version'])) return { base: ['docker', 'compose'], name: 'docker compose up -d' };
  if (answers(['docker-compose', 'version', '--short'])) return { base: ['docker-compose'], name: PEER };
  return { reason: 'neither `docker compose` nor `docker-compose` runs' };
}

/** One compose file, five services each running a long `sleep` in the busybox test image. */
function composeFile(dir) {
  return writeFile(dir, 'compose.yaml', `services:\n${SERVICES.map((name) => `  ${name}:\n    image: ${IMAGE}\n    command: [sleep, "86400"]\n`).join('')}`);
}

/** A compose project name of this bench run, this round and this subject: nothing else uses it. */
const projectName = (round, tag) => `stackbench-${process.pid}-${round}-${tag}`;

function runningContainers(projects) {
  const ids = projects.flatMap((project) =>
    execFileSync('docker', ['ps', '-q', '--filter', `label=com.docker.compose.project=${project}`, '--filter', 'status=running'], { encoding: 'utf8' }).split('\n').filter(Boolean),
  );
  return ids.length;
}

/** `down -t 0` of each project; then what a failed round may have left under its label (two networks of one name, which `down` refuses), by id. */
function removeProjects(cli, dir, projects) {
  for (const project of projects) {
    run([...cli.base, '-p', project, '-f', join(dir, 'compose.yaml'), 'down', '-t', '0', '--remove-orphans'], { timeout: 120_000 });
    const label = `label=com.docker.compose.project=${project}`;
    const ids = (argv) => run(argv).stdout.split('\n').filter(Boolean);
    const containers = ids(['docker', 'ps', '-aq', '--filter', label]);
    if (containers.length > 0) run(['docker', 'rm', '-f', ...containers]);
    const networks = ids(['docker', 'network', 'ls', '-q', '--filter', label]);
    if (networks.length > 0) run(['docker', 'network', 'rm', ...networks]);
  }
}

/** `stack apply --yes` of a generated stack.yaml whose services are `body(project)`; the compose projects it makes are `projects(project)`. */
function stackSubject(name, tag, body, projects) {
  const made = new Map();
  return {
    name,
    async apply(dir, round) {
      const project = projectName(round, tag);
      made.set(dir, projects(project));
      composeFile(dir);
      const file = writeFile(dir, 'stack.yaml', `version: 1\nproject: bench\nservices:\n${body(project)}`);
      const ms = timeCommand([NODE, STACK, '-f', file, 'apply', '--yes']);
      const running = runningContainers(projects(project));
      if (running !== SERVICES.length) throw new Error(`stack apply returned with ${running} of ${SERVICES.length} containers running`);
      return ms;
    },
    cleanup(cli, dir) {
      removeProjects(cli, dir, made.get(dir) ?? []);
      made.delete(dir);
    },
  };
}

const composeService = (name, compose) => `  ${name}:\n    provider: compose\n    compose: { file: ./compose.yaml, ${compose} }\n`;

export async function composeScenario({ results, rounds }) {
  const cli = composeCli();
  if (!cli.base) {
    results.skip(SCENARIO, PEER, cli.reason);
    return;
  }
  const peerMade = new Map();
  const peer = {
    name: cli.name,
    async apply(dir, round) {
      const project = projectName(round, 'direct');
      peerMade.set(dir, [project]);
      const file = composeFile(dir);
      const ms = timeCommand([...cli.base, '-f', file, '-p', project, 'up', '-d'], { cwd: dir });
      const running = runningContainers([project]);
      if (running !== SERVICES.length) throw new Error(`up -d returned with ${running} of ${SERVICES.length} containers running`);
      return ms;
    },
    cleanup(_cli, dir) {
      removeProjects(cli, dir, peerMade.get(dir) ?? []);
      peerMade.delete(dir);
    },
  };
  // The target's subject: five stack services, each one compose service of one project (the
  // project `up -d` makes). Beside it, two other ways to write the same five containers.
  const onePerService = stackSubject('stack, 5 services, 1 project', 'one', (project) => SERVICES.map((name) => composeService(name, `project: ${project}, services: [${name}]`)).join(''), (project) => [project]);
  const oneService = stackSubject('stack, 1 service of 5', 'all', (project) => composeService('all', `project: ${project}`), (project) => [project]);
  const fiveProjects = stackSubject(
    'stack, 5 services, 5 projects',
    'five',
    (project) => SERVICES.map((name) => composeService(name, `project: ${project}-${name}, services: [${name}]`)).join(''),
    (project) => SERVICES.map((name) => `${project}-${name}`),
  );
  const subjects = [onePerService, peer, oneService, fiveProjects].map((subject) => ({ ...subject, cleanup: (dir) => subject.cleanup(cli, dir) }));
  const values = await interleave(subjects, rounds, (subject, dir, round) => subject.apply(dir, round));
  for (const subject of subjects) results.record(SCENARIO, subject.name, values.get(subject.name));
  const direct = values.get(peer.name);
  results.ratio(SCENARIO, peer.name, values.get(onePerService.name), direct);
  results.ratio(`${SCENARIO}, as 1 stack service`, peer.name, values.get(oneService.name), direct);
  results.ratio(`${SCENARIO}, 5 projects`, peer.name, values.get(fiveProjects.name), direct);
}
