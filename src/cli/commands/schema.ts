import { stackJsonSchema } from '../../config/json-schema.js';
import { streams } from '../context.js';

export async function run(): Promise<number> {
  streams.stdout.write(`${JSON.stringify(stackJsonSchema(), null, 2)}\n`);
  return 0;
}
