import { stackSchema } from '../../api.js';
import { streams } from '../context.js';

export async function run(): Promise<number> {
  streams.stdout.write(`${JSON.stringify(await stackSchema(), null, 2)}\n`);
  return 0;
}
