import { describe, expect, it } from 'vitest';
import { formatHealth, formatObserved, formatPorts } from '../../src/cli/status-view.js';

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
});
