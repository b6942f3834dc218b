// `stack status -o wide` and the figures of `status --json` without a controller (issue 30):
// CPU, memory, uptime and the command line of real processes, a secret in the command replaced.
import { afterEach, describe, expect, it } from 'vitest';
import { Cleanup } from '../support/controller.js';
import { stack } from '../support/stack-cli.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

interface Row {
  name: string;
  observed: string;
  cpu?: number | null;
  memory?: number | null;
  uptime?: number | null;
  command?: string | null;
}

function rows(file: string, args: string[] = []): Record<string, Row> {
  const result = stack(['status', '--json', ...args, '-f', file]);
  expect(result.code, result.stderr).toBe(0);
  return Object.fromEntries((JSON.parse(result.stdout) as { services: Row[] }).services.map((row) => [row.name, row]));
}

describe('status figures without a controller', () => {
  it('a busy loop reads cpu over -o wide, memory, uptime and its argv; a secret in a command is replaced in the table and the JSON', () => {
    const m = cleanup.marker(String(70_000 + Math.floor(Math.random() * 9_000)));
    const secret = `SEKRIT-argv-${m}`;
    const s = cleanup.scratch(
      [
        'version: 1',
        'services:',
        '  busy:',
        `    command: [sh, -c, "while :; do :; done # ${m}"]`,
        '  tok:',
        `    command: [sh, -c, "while :; do sleep 1; done # ${m}", tok, "--token=\${API_TOKEN}"]`,
        '    envFile: .env',
        '  off:',
        `    command: sleep ${m}`,
        '    state: stopped',
        '',
      ].join('\n'),
      { '.env': `API_TOKEN=${secret}\n` },
    );
    const applied = stack(['apply', '--yes', '-f', s.file]);
    expect(applied.code, applied.stderr).toBe(0);

    // Plain --json: memory, uptime and command from one reading; cpu needs a second one, which only -o wide waits for.
    const plain = rows(s.file);
    expect(plain.busy).toMatchObject({ observed: 'running', cpu: null, command: `sh -c 'while :; do :; done # ${m}'` });
    expect(plain.busy?.memory).toBeGreaterThan(0);
    expect(plain.busy?.uptime).toBeGreaterThanOrEqual(0);
    expect(plain.off).toMatchObject({ observed: 'stopped', cpu: null, memory: null, uptime: null, command: null });

    const wide = rows(s.file, ['-o', 'wide']);
    expect(wide.busy?.cpu).toBeGreaterThan(0);
    expect(wide.busy?.memory).toBeGreaterThan(0);
    expect(wide.tok?.command).toBe(`sh -c 'while :; do sleep 1; done # ${m}' tok --token=(sensitive)`);
    expect(wide.off).toMatchObject({ cpu: null, memory: null, uptime: null, command: null });

    const table = stack(['status', '-o', 'wide', '-f', s.file]);
    expect(table.code, table.stderr).toBe(0);
    const [header, ...lines] = table.stdout.split('\n');
    expect(header).toMatch(/^NAME +PROVIDER +DESIRED +OBSERVED +PID +UPTIME +RESTARTS +PORTS +HEALTH +CPU +MEM +COMMAND$/);
    expect(lines.find((line) => line.startsWith('busy '))).toMatch(new RegExp(`running +\\d+ +\\d+s +0 +- +- +\\d+(\\.\\d)?% +\\d+(\\.\\d)?[KM] +sh -c 'while :; do :; done # ${m}'$`));
    expect(lines.find((line) => line.startsWith('tok '))).toMatch(/ tok --token=\(sensitive\)$/);
    expect(lines.find((line) => line.startsWith('off '))).toMatch(/stopped .* - +- +-$/);
    expect(table.stdout + table.stderr + JSON.stringify(plain) + JSON.stringify(wide)).not.toContain(secret);

    // The default table keeps its columns.
    expect(stack(['status', '-f', s.file]).stdout.split('\n')[0]).toMatch(/HEALTH$/);
    expect(stack(['status', '-o', 'tall', '-f', s.file])).toMatchObject({ code: 1, stderr: expect.stringMatching(/Allowed choices are wide/) });
  });
});
