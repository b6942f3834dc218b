import { describe, expect, it } from 'vitest';
import { formatHealth, formatObserved, formatPorts, renderStatusTable, type StatusRow } from '../../src/cli/status-view.js';
import { formatCommandLine } from '../../src/reconcile/status-format.js';

describe('status cells', () => {
  const now = Date.parse('2026-01-01T00:10:00.000Z');

  it('says how a run that ended by itself ended', () => {
    expect(formatObserved({ observed: 'stopped', exit: { code: 0, signal: null } })).toBe('exited (0)');
    expect(formatObserved({ observed: 'stopped', exit: { code: null, signal: null } })).toBe('exited (code unknown)');
    expect(formatObserved({ observed: 'stopped' })).toBe('stopped');
    expect(formatObserved({ observed: 'crashed', exit: { code: 3, signal: null } })).toBe('crashed');
  });

  it('shows a recorded probe result with its age, and a failure with its reason', () => {
    expect(formatHealth({ health: 'ready', healthAt: '2026-01-01T00:07:00.000Z' }, now)).toBe('ready 3m ago');
    expect(formatHealth({ health: 'unhealthy', healthAt: '2026-01-01T00:09:50.000Z', healthReason: 'connection refused' }, now)).toBe('unhealthy 10s ago: connection refused');
    expect(formatHealth({ health: 'ready' }, now)).toBe('ready');
    expect(formatHealth({ health: 'none' }, now)).toBe('-');
  });

  it('marks a port open only when the service listens on it, and names another holder', () => {
    const ports = [8080, '127.0.0.1:9090', 5432];
    const portsOpen = [true, false, false];
    const portOwners = [
      { port: 8080, holder: 'self' as const },
      { port: 9090, host: '127.0.0.1', holder: 'none' as const },
      { port: 5432, holder: 'other' as const, pid: 42, command: 'postgres' },
    ];
    expect(formatPorts({ ports, portsOpen, portOwners })).toBe('8080✓,127.0.0.1:9090✗,5432✗(pid 42)');
    expect(formatPorts({ ports: [5432], portsOpen: [false], portOwners: [{ port: 5432, holder: 'other' }] })).toBe('5432✗(another user)');
    expect(formatPorts({ ports: [80] })).toBe('80');
  });

  it('quotes an argv as a shell reads it back', () => {
    expect(formatCommandLine(['node', 'server.js', '--port=8080'])).toBe('node server.js --port=8080');
    expect(formatCommandLine(['sh', '-c', "echo 'hi' && sleep 1", ''])).toBe(`sh -c 'echo '\\''hi'\\'' && sleep 1' ''`);
  });
});

describe('status -o wide', () => {
  const now = Date.parse('2026-01-01T00:10:00.000Z');
  const row = (name: string, extra: Partial<StatusRow>): StatusRow => ({
    name, provider: 'process', enabled: true, desired: 'running', observed: 'running', pid: 42, since: '2026-01-01T00:07:00.000Z', restarts: 0, health: 'none', ports: [], ...extra,
  });
  const rows = [row('api', { cpu: 12.34, memory: 50 * 1024 * 1024, uptime: 180, command: 'node server.js --port=8080' }), row('off', { observed: 'stopped', pid: null, since: null, cpu: null, memory: null, uptime: null, command: null })];

  it('adds CPU, MEM and COMMAND after the default columns, and keeps the default table as it was', () => {
    const wide = renderStatusTable(rows, { color: false, now, wide: true }).split('\n');
    expect(wide[0]).toBe('NAME  PROVIDER  DESIRED  OBSERVED  PID  UPTIME  RESTARTS  PORTS  HEALTH  CPU  MEM  COMMAND');
    expect(wide[1]).toBe('api   process   running  running   42   3m      0         -      -       12%  50M  node server.js --port=8080');
    expect(wide[2]).toBe('off   process   running  stopped   -    -       0         -      -       -    -    -');
    expect(renderStatusTable(rows, { color: false, now }).split('\n')[0]).toBe('NAME  PROVIDER  DESIRED  OBSERVED  PID  UPTIME  RESTARTS  PORTS  HEALTH');
  });

  it('cuts each line to the terminal width, colour or not', () => {
    const whole = renderStatusTable(rows, { color: false, now, wide: true }).split('\n');
    const cut = renderStatusTable(rows, { color: false, now, wide: true, width: 90 }).split('\n');
    expect(cut[0]).toBe(whole[0]);
    expect(cut[1]).toBe('api   process   running  running   42   3m      0         -      -       12%  50M  node s…');
    expect(cut[1]).toHaveLength(90);
    const painted = renderStatusTable(rows, { color: true, now, wide: true, width: 90 }).split('\n')[1] as string;
    // eslint-disable-next-line no-control-regex
    expect(painted.replace(/\x1b\[[0-9;]*m/g, '')).toBe(cut[1]);
  });
});
