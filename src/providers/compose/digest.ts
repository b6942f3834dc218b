// The compose file and the env files it reads, fingerprinted: editing any of them plans a restart.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { ExitCode, StackError } from '../../model/errors.js';
import type { DesiredService } from '../../model/desired.js';

/** The env files a compose file names (`env_file:` of every service), absolute, sorted, plus `.env` beside it. */
export function envFilesOf(composeText: string, composeFile: string): string[] {
  const dir = path.dirname(composeFile);
  const found = new Set<string>([path.join(dir, '.env')]);
  let doc: unknown;
  try {
    doc = parse(composeText);
  } catch {
    return [...found];
  }
  const services = (doc as { services?: unknown } | null)?.services;
  if (services && typeof services === 'object') {
    for (const service of Object.values(services as Record<string, unknown>)) {
      for (const entry of listOf((service as { env_file?: unknown } | null)?.env_file)) {
        const file = typeof entry === 'string' ? entry : (entry as { path?: unknown } | null)?.path;
        if (typeof file === 'string' && file.length > 0) found.add(path.resolve(dir, file));
      }
    }
  }
  return [...found].sort();
}

function listOf(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** sha256 over the compose file and each env file it reads (a missing env file counts as missing). */
export async function digestComposeFiles(service: DesiredService): Promise<string | undefined> {
  const spec = service.compose;
  if (!spec) return undefined;
  return digestComposeFile(service, spec.file, 'compose.file is relative to stack.yaml');
}

/** The digest of one compose file and its env files, for the provider of `service` (compose, swarm). */
export async function digestComposeFile(service: DesiredService, file: string, hint: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new StackError(ExitCode.invalidConfig, `service "${service.name}": cannot read its compose file ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {
      ...(service.position ? { position: service.position } : {}),
      hint,
    });
  }
  const hash = createHash('sha256');
  hash.update(`compose\0${text}\0`);
  for (const envFile of envFilesOf(text, file)) {
    const content = await readFile(envFile, 'utf8').catch(() => undefined);
    hash.update(`${envFile}\0${content === undefined ? 'missing' : `present\0${content}`}\0`);
  }
  return hash.digest('hex').slice(0, 16);
}
