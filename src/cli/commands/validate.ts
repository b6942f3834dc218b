import { loadStack } from '../../api.js';
import { issuesToJson } from '../../config/issues.js';
import { streams, warnAbout, type GlobalOptions } from '../context.js';
import { escapeControls } from '../../config/issues.js';

export async function run(options: GlobalOptions): Promise<number> {
  const desired = await loadStack({ file: options.file });
  const enabled = desired.services.filter((service) => service.enabled).length;
  if (options.json) {
    const warnings = issuesToJson(desired.warnings ?? []);
    streams.stdout.write(`${JSON.stringify({ formatVersion: 1, valid: true, file: desired.file, project: desired.project, services: desired.services.map((s) => s.name), warnings }, null, 2)}\n`);
  } else {
    warnAbout(desired);
    const count = desired.services.length;
    streams.stdout.write(`${escapeControls(desired.file)} is valid: ${count} service${count === 1 ? '' : 's'} (${enabled} enabled).\n`);
  }
  return 0;
}
