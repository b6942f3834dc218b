// Start-up cost: `stack --version` and `stack status` (10 declared services, none running) vs `node -e 0`.
import { NODE, STACK, tempDir, timeCommand, writeFile } from '../lib.mjs';

export async function startupScenario({ results, rounds }) {
  const dir = tempDir();
  const services = Array.from({ length: 10 }, (_, i) => `  s${i}:\n    command: [sleep, "600"]\n`).join('');
  const file = writeFile(dir, 'stack.yaml', `version: 1\nproject: bench\nservices:\n${services}`);
  const node = [];
  const version = [];
  const status = [];
  for (let round = 0; round < rounds * 2; round += 1) {
    node.push(timeCommand([NODE, '-e', '0']));
    version.push(timeCommand([NODE, STACK, '--version']));
    status.push(timeCommand([NODE, STACK, '-f', file, 'status']));
  }
  results.record('startup', 'node -e 0', node);
  results.record('startup', 'stack --version', version);
  results.record('startup', 'stack status (10, stopped)', status);
  results.ratio('startup --version', 'node -e 0', version, node);
  results.ratio('startup status', 'node -e 0', status, node);
}
