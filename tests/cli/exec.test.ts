import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stack, tempStack } from '../support/stack-cli.js';

describe('stack with an exec service (built binary)', () => {
  it('applies it with its start command, sees it running by status, and brings it down with stop', () => {
    const s = tempStack(
      [
        'version: 1',
        'services:',
        '  app:',
        '    exec:',
        '      shell: true',
        '      start: "sleep 300 > /dev/null 2>&1 & echo $$! > app.pid"',
        '      stop: "kill $$(cat app.pid) && rm app.pid"',
        '      status: "test -f app.pid && kill -0 $$(cat app.pid)"',
        '',
      ].join('\n'),
    );
    const pidFile = join(s.dir, 'app.pid');
    try {
      const applied = stack(['apply', '--yes', '-f', s.file]);
      expect(applied.code, applied.stderr).toBe(0);
      const pid = Number(readFileSync(pidFile, 'utf8'));
      expect(() => process.kill(pid, 0)).not.toThrow();
      const status = stack(['status', '--json', '-f', s.file]);
      expect(status.code, status.stderr).toBe(0);
      expect(JSON.parse(status.stdout).services[0]).toMatchObject({ name: 'app', provider: 'exec', observed: 'running' });
      expect(stack(['plan', '-f', s.file]).stdout).toMatch(/no changes|nothing to do/i);
      const down = stack(['down', '--yes', '-f', s.file]);
      expect(down.code, down.stderr).toBe(0);
      expect(existsSync(pidFile)).toBe(false);
    } finally {
      if (existsSync(pidFile)) stack(['down', '--yes', '-f', s.file]);
      s.cleanup();
    }
  });
});
