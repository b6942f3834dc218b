/**
 * The random key that sensitive spec fields are digested with (`.stack/digest-key`, mode 0600),
 * so the digests in state.json cannot confirm a guessed secret offline: without the key a
 * guess cannot be hashed to compare. HMAC-SHA-256, cut to 26 hex digits like the other hashes.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { Desired } from '../model/desired.js';
import { sensitiveValues } from '../reconcile/spec.js';
import { writeFileAtomic } from '../os/write-atomic.js';
import { ensureStateDir } from './state-file.js';

export const DIGEST_KEY_FILE = 'digest-key';
const KEY = /^[0-9a-f]{64}$/;

/**
 * Fills in `sealed` on every service with sensitive fields. Reads the key, or creates it (and
 * `.stack/`) when there is none: only stacks that hold secrets ever get one.
 */
export async function sealSensitiveFields(desired: Desired, stateDir: string): Promise<void> {
  const wanted = desired.services.map((service) => ({ service, values: sensitiveValues(service) })).filter(({ values }) => Object.keys(values).length > 0);
  if (wanted.length === 0) return;
  // node:crypto is loaded here, not up front: most commands of most stacks never need it.
  const { createHmac } = await import('node:crypto');
  const key = await digestKey(stateDir);
  const seal = (service: string, field: string, value: string) =>
    `key:${createHmac('sha256', key).update(`${service}\u0000${field}\u0000${value}`).digest('hex').slice(0, 26)}`;
  for (const { service, values } of wanted) {
    service.sealed = Object.fromEntries(Object.entries(values).map(([field, value]) => [field, seal(service.name, field, value)]));
  }
}

/** The key: read, or made once (created exclusively, so two stacks racing agree on one). */
export async function digestKey(stateDir: string): Promise<Buffer> {
  const file = join(stateDir, DIGEST_KEY_FILE);
  const read = await readKey(file);
  if (read) return read;
  await ensureStateDir(stateDir);
  const made = (await import('node:crypto')).randomBytes(32).toString('hex');
  const handle = await open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'EEXIST') return undefined;
    throw error;
  });
  if (handle) {
    try {
      await handle.writeFile(`${made}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
  // Another stack may have created it a moment ago and be writing it still.
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const now = await readKey(file);
    if (now) return now;
    if (handle) break;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  // Damaged: a new key. Services with secrets then look changed once, and are restarted.
  await writeFileAtomic(file, `${made}\n`, { mode: 0o600 });
  return Buffer.from(made, 'hex');
}

async function readKey(file: string): Promise<Buffer | undefined> {
  const handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW).catch(() => undefined);
  if (!handle) return undefined;
  try {
    const text = (await handle.readFile('utf8')).trim();
    return KEY.test(text) ? Buffer.from(text, 'hex') : undefined;
  } finally {
    await handle.close();
  }
}
