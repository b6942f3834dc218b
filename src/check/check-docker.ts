/** The docker engine answers and a compose CLI is installed: asked only when compose services are enabled. */

import { runCommand, type CommandResult } from '../providers/runner.js';
import { fail, pass, type CheckResult } from './types.js';

const TIMEOUT_MS = 5000;
const INSTALL_HINT = 'install Docker Engine: https://docs.docker.com/engine/install/';

type Run = (argv: readonly string[]) => Promise<CommandResult>;

function firstLine(text: string): string {
  return text.trim().split('\n')[0]?.trim() ?? '';
}

export async function checkDocker(verbose?: (line: string) => void, run: Run = (argv) => runCommand(argv, { timeoutMs: TIMEOUT_MS, verbose })): Promise<CheckResult[]> {
  const engine = await run(['docker', 'version', '--format', '{{.Server.Version}}']);
  const results: CheckResult[] = [];
  if (engine.spawnError !== undefined) {
    return [fail('docker', 'docker is not installed (compose services need it)', INSTALL_HINT)];
  }
  if (engine.exitCode === 0 && engine.stdout.trim() !== '') {
    results.push(pass('docker', `docker engine ${firstLine(engine.stdout)} is reachable`));
  } else {
    const why = engine.timedOut ? `no answer within ${TIMEOUT_MS / 1000}s` : firstLine(engine.stderr) || `exit code ${engine.exitCode}`;
    results.push(fail('docker', `docker engine is not reachable: ${why}`, 'start the docker daemon (e.g. sudo systemctl start docker) or check DOCKER_HOST and your access to its socket'));
  }
  const v2 = await run(['docker', 'compose', 'version', '--short']);
  if (v2.exitCode === 0) {
    results.push(pass('compose', `docker compose ${firstLine(v2.stdout)}`));
    return results;
  }
  const v1 = await run(['docker-compose', 'version', '--short']);
  if (v1.exitCode === 0) results.push(pass('compose', `docker-compose ${firstLine(v1.stdout)} (v1)`));
  else results.push(fail('compose', 'no compose CLI: neither `docker compose` nor `docker-compose` works', 'install the compose plugin: https://docs.docker.com/compose/install/'));
  return results;
}
