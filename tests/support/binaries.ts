// Tests of the examples run real software from Debian's packages (scripts/test-env.sh installs it
// as root). Where a binary is missing the test is skipped, and says so loudly, with the package.
import { spawnSync } from 'node:child_process';
import { it } from 'vitest';

const BAR = '!'.repeat(78);

export function missingBinaries(binaries: readonly string[]): string[] {
  return binaries.filter((binary) => spawnSync('sh', ['-c', 'command -v "$1"', 'sh', binary]).status !== 0);
}

/** `it` for a test that runs `binaries`: skipped, loudly and by name, only when one is missing. */
export function itWith(binaries: readonly string[], name: string, fn: () => Promise<void> | void, timeoutMs = 120_000): void {
  const missing = missingBinaries(binaries);
  if (missing.length > 0) {
    console.warn(`\n${BAR}\n!! SKIPPED (missing ${missing.join(', ')}; bash scripts/test-env.sh installs them as root): ${name}\n${BAR}`);
  }
  it.skipIf(missing.length > 0)(name, fn, timeoutMs);
}
