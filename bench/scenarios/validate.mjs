// `stack validate` of a large stack.yaml, parsed afresh (no parse cache): the loader must grow
// linearly with the number of services (issue 12: 46,000 services took 120 s when each position
// lookup searched the services map from its start).
import { NODE, STACK, tempDir, timeCommand, writeFile } from '../lib.mjs';

const SERVICES = 50_000;

export async function validateScenario({ results, rounds }) {
  const dir = tempDir();
  // Short names and flow maps keep 50,000 services under the 1 MiB cap of stack.yaml.
  const lines = Array.from({ length: SERVICES }, (_, i) => ` s${i.toString(36)}: {command: x}\n`).join('');
  const file = writeFile(dir, 'stack.yaml', `version: 1\nservices:\n${lines}`);
  const values = [];
  for (let round = 0; round < rounds; round += 1) {
    values.push(timeCommand([NODE, STACK, '-f', file, 'validate'], { env: { ...process.env, XDG_CACHE_HOME: tempDir('stack-bench-cache-') } }));
  }
  results.record(`validate ${SERVICES} services`, 'stack', values);
}
