import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExitCode, StackError } from '../../model/errors.js';
import { streams } from '../context.js';
import { escapeControls } from '../../config/issues.js';

const STARTER = `# yaml-language-server: $schema=./stack.schema.json   (write it with: stack schema > stack.schema.json)
# stack.yaml: the services of this folder. \`stack plan\` shows what would change, \`stack apply\` does it.
version: 1
services:
  web:
    command: node -e "require('http').createServer((q, s) => s.end('hello')).listen(8080)"
    ports: [8080]
    ready: { http: http://127.0.0.1:8080/, timeout: 10s }
  # worker:
  #   command: [node, worker.js]
  #   dependsOn: [web]
  #   env: { LOG_LEVEL: info }
`;

export async function run(options: { force?: boolean }): Promise<number> {
  const file = join(process.cwd(), 'stack.yaml');
  if (existsSync(file) && !options.force) {
    throw new StackError(ExitCode.actionFailed, `${file} already exists`, { hint: 'pass --force to overwrite it' });
  }
  writeFileSync(file, STARTER);
  streams.stdout.write(`Created ${escapeControls(file)}. Next: \`stack plan\`, then \`stack apply\`.\n`);
  return 0;
}
