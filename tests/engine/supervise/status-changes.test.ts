import { describe, expect, it } from 'vitest';
import type { Observed, ObservedService } from '../../../src/model/observed.js';
import type { ControllerEvent } from '../../../src/engine/supervise/events.js';
import { StatusChanges } from '../../../src/engine/supervise/status-changes.js';

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/** 1,000 services as a controller knows them; `asked` records each question's names (undefined: all). */
function world(size: number) {
  const services = new Map<string, ObservedService>();
  for (let index = 0; index < size; index++) services.set(`s${index}`, { name: `s${index}`, phase: 'running', restarts: 0 });
  const asked: (number | undefined)[] = [];
  const known = (names?: ReadonlySet<string>): Observed => {
    asked.push(names?.size);
    if (!names) return new Map(services);
    return new Map([...names].flatMap((name) => (services.has(name) ? [[name, services.get(name) as ObservedService] as const] : [])));
  };
  const events: ControllerEvent[] = [];
  const changes = new StatusChanges(known, (event) => events.push(event));
  return { services, asked, events, changes };
}

describe('StatusChanges', () => {
  it('compares only the services it was told of, once per turn, and tells each change once', async () => {
    const { services, asked, events, changes } = world(1000);
    expect(asked).toEqual([undefined]);
    services.set('s1', { name: 's1', phase: 'stopping', restarts: 0 });
    services.set('s2', { name: 's2', phase: 'stopping', restarts: 0 });
    // s7 told of, unchanged: no event. s1 told of twice: compared once.
    changes.poke('s1');
    changes.poke('s2');
    changes.poke('s1');
    changes.poke('s7');
    await nextTurn();
    // Before, every poke compared all 1,000: a restart of 1,000 (2,000 moves) was ~2,000,000 rows.
    expect(asked).toEqual([undefined, 3]);
    expect(events).toEqual([
      { type: 'phase', service: 's1', phase: 'stopping', previous: 'running' },
      { type: 'phase', service: 's2', phase: 'stopping', previous: 'running' },
    ]);
    // A change not told of is not looked for (the controller tells every move and record change).
    services.set('s3', { name: 's3', phase: 'crashed', restarts: 1 });
    changes.poke('s1');
    await nextTurn();
    expect(events).toHaveLength(2);
  });

  it('tells a probe result that changed, not a probe that only ran again', async () => {
    const { services, events, changes } = world(3);
    const probe = (ok: boolean, at: string) => ({ kind: 'ready' as const, ok, at, ...(ok ? {} : { reason: 'connection refused' }) });
    services.set('s0', { name: 's0', phase: 'running', restarts: 0, probe: probe(false, '1') });
    changes.poke('s0');
    await nextTurn();
    services.set('s0', { name: 's0', phase: 'running', restarts: 0, probe: probe(false, '2') });
    changes.poke('s0');
    await nextTurn();
    services.set('s0', { name: 's0', phase: 'running', restarts: 0, probe: probe(true, '3') });
    changes.poke('s0');
    await nextTurn();
    expect(events).toEqual([
      { type: 'probe', service: 's0', kind: 'ready', ok: false, reason: 'connection refused' },
      { type: 'probe', service: 's0', kind: 'ready', ok: true },
    ]);
  });

  it('forgets a service neither declared nor recorded: back again, it is compared with absent', async () => {
    const { services, events, changes } = world(2);
    services.delete('s1');
    changes.poke('s1');
    await nextTurn();
    expect(events).toEqual([]);
    services.set('s1', { name: 's1', phase: 'starting', restarts: 0 });
    changes.poke('s1');
    await nextTurn();
    expect(events).toEqual([{ type: 'phase', service: 's1', phase: 'starting', previous: 'absent' }]);
  });
});
