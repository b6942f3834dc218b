// `status` reads what was recorded and does not act; `status --probe` probes now. On real processes.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startCli } from '../support/controller.js';
import { scratchStacks, stack, waitFor } from '../support/stack-cli.js';

const { scratch, children } = scratchStacks();

// Listens on a port the kernel picks, says it in `port`, and counts every request in `hits`.
const COUNTING_SERVER = `
const fs = require('fs');
let hits = 0;
const server = require('http').createServer((req, res) => { hits += 1; fs.writeFileSync('hits', String(hits)); res.end('ok'); });
server.listen(Number(process.argv[2] || 0), '127.0.0.1', () => fs.writeFileSync('port', String(server.address().port)));
`;

interface Row {
  name: string;
  observed: string;
  health: string;
  healthAt?: string;
  healthReason?: string;
  exit?: { code: number | null; signal: string | null };
  detail?: string;
  portsOpen?: boolean[];
  portOwners?: { port: number; holder: string; pid?: number; command?: string }[];
}

function rows(file: string, args: string[] = []): Row[] {
  const result = stack(['status', '--json', ...args, '-f', file]);
  expect(result.code, result.stderr).toBe(0);
  return (JSON.parse(result.stdout) as { services: Row[] }).services;
}
const rowOf = (file: string, name: string, args: string[] = []) => rows(file, args).find((row) => row.name === name) as Row;

/** A process that is not the stack's, listening on a fresh port. */
async function foreignListener(): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['-e', "const s=require('net').createServer().listen(0,'127.0.0.1',()=>console.log(s.address().port));setInterval(()=>{},1000)"], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  let out = '';
  child.stdout?.on('data', (chunk) => (out += chunk));
  const port = await waitFor(() => (out.includes('\n') ? Number(out.trim()) : undefined), 10_000, 'the foreign listener');
  return { child, port };
}

describe('status reads, it does not act', { timeout: 90_000 }, () => {
  it('shows the result apply recorded, with its age, without probing; --probe probes now and records', () => {
    const s = scratch('version: 1\nservices:\n  web:\n    command: [node, server.js]\n    ready: { exec: [test, -f, port], interval: 50ms }\n', { 'server.js': COUNTING_SERVER });
    expect(stack(['apply', '--yes', '-f', s.file]).code).toBe(0);
    const port = Number(readFileSync(join(s.dir, 'port'), 'utf8'));
    // The http check is what status would run: point web's probe at the server (health), as declared.
    s.write(`version: 1\nservices:\n  web:\n    command: [node, server.js, "${port}"]\n    ready: { http: "http://127.0.0.1:${port}/", interval: 50ms }\n`);
    expect(stack(['apply', '--yes', '-f', s.file]).code).toBe(0);
    const hits = () => Number(readFileSync(join(s.dir, 'hits'), 'utf8'));
    const afterApply = hits();
    expect(afterApply).toBeGreaterThanOrEqual(1);
    const recorded = rowOf(s.file, 'web');
    expect(recorded).toMatchObject({ observed: 'running', health: 'ready' });
    expect(Date.parse(recorded.healthAt as string)).not.toBeNaN();

    for (let i = 0; i < 9; i += 1) expect(stack(['status', '-f', s.file]).stdout).toMatch(/web .* ready \d+s ago/);
    expect(hits()).toBe(afterApply);

    const probed = rowOf(s.file, 'web', ['--probe']);
    expect(hits()).toBe(afterApply + 1);
    expect(probed.health).toBe('ready');
    expect(probed.healthAt! > recorded.healthAt!).toBe(true);
    // Recorded: the next plain status shows that result.
    expect(rowOf(s.file, 'web').healthAt).toBe(probed.healthAt);
    expect(hits()).toBe(afterApply + 1);
  });

  it('a failed probe is shown with its reason; a log probe shows its recorded result', () => {
    const s = scratch('version: 1\nservices:\n  lg:\n    command: [sh, -c, "echo up; exec sleep 300"]\n    ready: { log: "^up$" }\n  down:\n    command: [sleep, "301"]\n    health: { tcp: 1, interval: 50ms }\n');
    expect(stack(['apply', '--yes', '-f', s.file]).code).toBe(0);
    expect(rowOf(s.file, 'lg')).toMatchObject({ health: 'ready' });
    expect(rowOf(s.file, 'down').health).toBe('none');
    const probed = rowOf(s.file, 'down', ['--probe']);
    expect(probed).toMatchObject({ health: 'unhealthy', healthReason: 'connection refused' });
    expect(stack(['status', '-f', s.file]).stdout).toMatch(/down .* unhealthy \d+s ago: connection refused/);
    // A log probe cannot be run again (it needs the run's log offset): its recorded result stays.
    expect(rowOf(s.file, 'lg', ['--probe'])).toMatchObject({ health: 'ready' });
  });

  it('a probe failure that prints a secret is shown and recorded without it', () => {
    const secret = 'SEKRIT-probe-77';
    const s = scratch(`version: 1\nservices:\n  api:\n    command: [sleep, "304"]\n    env: { API_TOKEN: ${secret} }\n    health: { exec: [sh, -c, 'echo "bad token $$API_TOKEN" >&2; exit 1'] }\n`);
    expect(stack(['apply', '--yes', '-f', s.file]).code).toBe(0);
    const probed = stack(['status', '--probe', '-f', s.file]);
    expect(probed.stdout).toContain('unhealthy 0s ago: exited with code 1: bad token (sensitive)');
    expect(probed.stdout + probed.stderr + readFileSync(join(s.dir, '.stack', 'state.json'), 'utf8')).not.toContain(secret);
    expect(rowOf(s.file, 'api').healthReason).toBe('exited with code 1: bad token (sensitive)');
  });
});

describe('status tells the truth', { timeout: 90_000 }, () => {
  it('a run that ended unseen says its exit code is unknown; after down it reads stopped', async () => {
    const s = scratch('version: 1\nservices:\n  once:\n    command: [sh, -c, "exit 0"]\n    restart: { policy: "no" }\n    start: { settle: 0ms }\n');
    expect(stack(['apply', '--yes', '-f', s.file]).code).toBe(0);
    const ended = await waitFor(() => {
      const row = rowOf(s.file, 'once');
      return row.observed !== 'running' ? row : undefined;
    }, 10_000, 'the run to end');
    expect(ended).toMatchObject({ observed: 'stopped', exit: { code: null, signal: null } });
    expect(ended.detail).toContain('its exit code is unknown');
    expect(stack(['status', '-f', s.file]).stdout).toMatch(/once .* exited \(code unknown\)/);

    expect(stack(['down', '--yes', '-f', s.file]).code).toBe(0);
    const after = rowOf(s.file, 'once');
    expect(after).toMatchObject({ observed: 'stopped' });
    expect(after.exit).toBeUndefined();
    expect(after.detail).toBeUndefined();
    expect(stack(['status', '-f', s.file]).stdout).toMatch(/once +process +running +stopped /);
  });

  it('under the controller, a run that exited 0 with restart: no reads exited (0); its health checks are recorded', async () => {
    const s = scratch('version: 1\nservices:\n  once:\n    command: [sh, -c, "exec sleep 0.3"]\n    restart: { policy: "no" }\n    start: { settle: 0ms }\n  checked:\n    command: [sleep, "303"]\n    health: { exec: [test, -d, .], interval: 200ms }\n');
    const watch = startCli(['watch', '-f', s.file]);
    try {
      const first = await waitFor(() => rowOf(s.file, 'checked').healthAt, 15_000, 'a recorded health check');
      const later = await waitFor(() => {
        const row = rowOf(s.file, 'checked');
        return row.healthAt !== first ? row : undefined;
      }, 15_000, 'a later health check');
      expect(later).toMatchObject({ health: 'ready' });
      // The controller holds the lock: --probe shows what it found and leaves recording to it.
      const probed = stack(['status', '--probe', '-f', s.file]);
      expect(probed.code).toBe(0);
      expect(probed.stderr).toContain('note: the probe results are not recorded: a controller is reconciling this stack');
      const row = await waitFor(() => {
        const each = rowOf(s.file, 'once');
        return each.exit ? each : undefined;
      }, 15_000, 'the exit to be recorded');
      expect(row).toMatchObject({ observed: 'stopped', exit: { code: 0, signal: null } });
      expect(stack(['status', '-f', s.file]).stdout).toMatch(/once .* exited \(0\)/);
    } finally {
      watch.child.kill('SIGTERM');
      await watch.done;
    }
  });

  it('a port counts as open only when the service itself listens on it; a foreign holder is named', async () => {
    const { child, port } = await foreignListener();
    const s = scratch(`version: 1\nservices:\n  web:\n    command: [node, server.js, "0"]\n    ready: { exec: [test, -f, port], interval: 50ms }\n  squat:\n    command: [sleep, "302"]\n`, { 'server.js': COUNTING_SERVER });
    expect(stack(['apply', '--yes', '-f', s.file]).code).toBe(0);
    const own = Number(readFileSync(join(s.dir, 'port'), 'utf8'));
    // Declared after the start: the plan's port check would otherwise block squat.
    s.write(`version: 1\nservices:\n  web:\n    command: [node, server.js, "0"]\n    ready: { exec: [test, -f, port], interval: 50ms }\n    ports: [${own}]\n  squat:\n    command: [sleep, "302"]\n    ports: [${port}]\n`);
    const [web, squat] = [rowOf(s.file, 'web'), rowOf(s.file, 'squat')];
    expect(web).toMatchObject({ portsOpen: [true], portOwners: [{ port: own, holder: 'self' }] });
    expect(squat).toMatchObject({ portsOpen: [false], portOwners: [{ port, holder: 'other', pid: child.pid }] });
    const table = stack(['status', '-f', s.file]).stdout;
    expect(table).toContain(`${own}✓`);
    expect(table).toContain(`${port}✗(pid ${child.pid})`);
    expect(table).toContain(`squat: port ${port} is in use by pid ${child.pid} (`);
  });
});
