import { stackJsonSchema } from '../../config/json-schema.js';
import { PROVIDERS } from '../../providers/registry.js';
import { streams } from '../context.js';

export async function run(): Promise<number> {
  streams.stdout.write(`${JSON.stringify(stackJsonSchema(PROVIDERS), null, 2)}\n`);
  return 0;
}
