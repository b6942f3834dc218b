import { describe, expect, it } from 'vitest';
import { formatPorts } from '../../src/reconcile/status-format.js';

describe('formatPorts', () => {
  it('names the map form ports and leaves the list form as it was', () => {
    expect(formatPorts({ ports: [8080, '127.0.0.1:5432'], portsOpen: [true, false] })).toBe('8080✓,127.0.0.1:5432✗');
    expect(formatPorts({ ports: [41234, 9090], portsOpen: [true, false], namedPorts: { http: 41234, admin: 9090 } })).toBe('http=41234✓,admin=9090✗');
    expect(formatPorts({ ports: [] })).toBe('-');
  });
});
