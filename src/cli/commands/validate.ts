import { loadStack } from '../../api.js';
import { streams, type GlobalOptions } from '../context.js';

export async function run(options: GlobalOptions): Promise<number> {
  const desired = await loadStack({ file: options.file });
  const enabled = desired.services.filter((service) => service.enabled).length;
  if (options.json) {
    streams.stdout.write(`${JSON.stringify({ formatVersion: 1, valid: true, file: desired.file, project: desired.project, services: desired.services.map((s) => s.name) }, null, 2)}\n`);
  } else {
    const count = desired.services.length;
    streams.stdout.write(`${desired.file} is valid: ${count} service${count === 1 ? '' : 's'} (${enabled} enabled).\n`);
  }
  return 0;
}
