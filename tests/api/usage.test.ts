// CPU % and memory per service (issue 26's `stack top`, issue 30's numbers) from a real
// controller (`stack watch`): a busy loop and a sleep, read by the controller's usage tick.
import { renameSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { apiJson, socketOf } from '../support/api-http.js';
import { Cleanup, statusJson } from '../support/controller.js';
import { stack, waitFor } from '../support/stack-cli.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

interface UsageRow {
  name: string;
  observed: string;
  cpu?: number | null;
  memory?: number | null;
  uptime?: number | null;
  command?: string | null;
}

const byName = (rows: UsageRow[]) => Object.fromEntries(rows.map((row) => [row.name, row]));

describe('cpu, memory, uptime and command in status', () => {
  it('the controller reads a busy loop above 50 % and a sleep below 5 %, both with memory; a stopped service and daemonless cpu are null', async () => {
    const m = cleanup.marker(String(80_000 + Math.floor(Math.random() * 9_000)));
    const s = cleanup.scratch(
      `version: 1\nservices:\n  busy:\n    command: [sh, -c, "while :; do :; done # ${m}"]\n  idle:\n    command: sleep ${m}\n  off:\n    command: sleep ${m}\n    state: stopped\n`,
    );
    cleanup.cli(['watch', '--interval', '5s', '-f', s.file]);

    // The first reading gives memory, the second (2 s later) cpu: poll until the busy loop shows.
    const rows = await waitFor(
      async () => {
        const answer = await apiJson(s.dir, 'GET', '/v1/status').catch(() => undefined);
        const found = answer?.status === 200 ? byName(answer.body.services as UsageRow[]) : undefined;
        return typeof found?.busy?.cpu === 'number' && found.busy.cpu > 50 && typeof found.idle?.cpu === 'number' ? found : undefined;
      },
      20_000,
      'the busy service to read above 50 % CPU',
    );
    expect(rows.idle?.cpu).toBeLessThan(5);
    expect(rows.busy?.memory).toBeGreaterThan(0);
    expect(rows.idle?.memory).toBeGreaterThan(0);
    expect(rows.off).toMatchObject({ observed: 'stopped', cpu: null, memory: null, uptime: null, command: null });
    expect(rows.idle).toMatchObject({ command: `sleep ${m}`, uptime: expect.any(Number) });
    expect(rows.idle?.uptime).toBeGreaterThanOrEqual(0);

    // `stack status --json` through the controller carries them too.
    const viaCli = byName(statusJson(s.file).services as UsageRow[]);
    expect(viaCli.busy?.cpu).toEqual(expect.any(Number));
    expect(viaCli.idle?.memory).toBeGreaterThan(0);
    // `-o wide` through the controller (the fast path): its readings as columns.
    const wide = stack(['status', '-o', 'wide', '-f', s.file]);
    expect(wide.stdout).toMatch(new RegExp(`^idle .* \\d+\\.\\d% +\\d+(\\.\\d)?[KM] +sleep ${m}$`, 'm'));

    // Without a controller (its socket set aside): memory from one reading, cpu unknown (only -o wide reads it twice: tests/cli/status-wide.test.ts).
    const socket = socketOf(s.dir);
    renameSync(socket, `${socket}.aside`);
    let daemonless;
    try {
      daemonless = byName(statusJson(s.file).services as UsageRow[]);
    } finally {
      renameSync(`${socket}.aside`, socket);
    }
    expect(daemonless.busy).toMatchObject({ cpu: null, memory: expect.any(Number) });
    expect(daemonless.idle?.memory).toBeGreaterThan(0);
    expect(daemonless.off).toMatchObject({ cpu: null, memory: null });
  });
});
