import { describe, expect, it } from 'vitest';
import { declaredServices, durationNs, interpolate } from '../../../src/providers/swarm/compose-file.js';
import { deployedService, driftOf, formatNs, type InspectedService } from '../../../src/providers/swarm/fields.js';
import { createRedactor } from '../../../src/config/sensitive.js';

const FILE = `
services:
  web:
    image: stack-test/busybox:\${TAG:-latest}
    command: sh -c 'echo hi; sleep 100'
    env_file: ./web.env
    environment:
      MODE: two
      API_TOKEN: \${TOKEN}
    deploy:
      replicas: 2
      update_config: { parallelism: 1, delay: 2s, order: start-first }
  agent:
    image: stack-test/busybox:latest
    deploy: { mode: global }
`;

function inspected(patch: Partial<{ image: string; args: string[]; env: string[]; replicas: number; update: object }> = {}): InspectedService {
  return {
    ID: 'x1',
    Spec: {
      Name: 'shop_web',
      TaskTemplate: { ContainerSpec: { Image: patch.image ?? 'stack-test/busybox:latest@sha256:abc123', Args: patch.args ?? ['sh', '-c', 'echo hi; sleep 100'], Env: patch.env ?? ['GREETING=hello', 'MODE=two', 'API_TOKEN=s3cret-value'] } },
      Mode: { Replicated: { Replicas: patch.replicas ?? 2 } },
      // The engine fills in what the file does not write.
      UpdateConfig: { Parallelism: 1, Delay: 2e9, Order: 'start-first', FailureAction: 'pause', Monitor: 5e9, MaxFailureRatio: 0, ...patch.update },
    },
  };
}

const declared = declaredServices(FILE, { TOKEN: 's3cret-value' }, (file) => (file === './web.env' ? 'GREETING=hello\n# note\n' : undefined));
const redact = createRedactor(['s3cret-value', 'n3w-secret']);
const drift = (service: InspectedService) => driftOf({ declared: declared.filter((entry) => entry.name === 'web'), deployed: [deployedService('web', service)], sensitive: [], redact });

describe('the compose file as a deploy makes it', () => {
  it('interpolates, splits the command, reads env files, and leaves global services without replicas', () => {
    const [agent, web] = declared;
    expect(web).toMatchObject({
      image: 'stack-test/busybox:latest',
      command: ['sh', '-c', 'echo hi; sleep 100'],
      env: { GREETING: 'hello', MODE: 'two', API_TOKEN: 's3cret-value' },
      replicas: 2,
      update: { parallelism: 1, delay: 2e9, order: 'start-first' },
    });
    expect(agent?.replicas).toBeUndefined();
  });

  it('reads variables as compose does', () => {
    expect(interpolate('${A:-x} ${B-y} $C $$D ${E}', { A: '', B: '', C: 'c' })).toBe('x  c $D ');
    expect(durationNs('1m30s')).toBe(90e9);
    expect(formatNs(90e9)).toBe('1m30s');
    expect(formatNs(500e6)).toBe('500ms');
  });
});

describe('driftOf: the deployed specs against the file', () => {
  it('nothing when the cluster runs the file (a resolved image digest and engine defaults are no drift)', () => {
    expect(drift(inspected())).toEqual([]);
  });

  it('a zero the engine leaves out of its JSON is no drift (`delay: 0s`)', () => {
    const zero = declaredServices(FILE.replace('delay: 2s', 'delay: 0s'), { TOKEN: 's3cret-value' }, () => 'GREETING=hello');
    const service = inspected();
    delete service.Spec.UpdateConfig?.Delay;
    expect(driftOf({ declared: zero.filter((entry) => entry.name === 'web'), deployed: [deployedService('web', service)], sensitive: [], redact })).toEqual([]);
  });

  it('replicas, command, image and update config changes show before and after', () => {
    const changes = drift(inspected({ replicas: 5, args: ['sh', '-c', 'old'], image: 'other:1', update: { Delay: 1e9 } }));
    expect(changes).toEqual([
      { field: 'swarm.web.command', before: 'sh -c old', after: 'sh -c "echo hi; sleep 100"', sensitive: false },
      { field: 'swarm.web.image', before: 'other:1', after: 'stack-test/busybox:latest', sensitive: false },
      { field: 'swarm.web.replicas', before: '5', after: '2', sensitive: false },
      { field: 'swarm.web.update_config.delay', before: '1s', after: '2s', sensitive: false },
    ]);
  });

  it('a secret env change is named, never shown; a secret value in another field is redacted', () => {
    const changes = drift(inspected({ env: ['GREETING=hello', 'MODE=n3w-secret', 'API_TOKEN=n3w-secret'] }));
    expect(changes).toEqual([
      { field: 'swarm.web.env.API_TOKEN', sensitive: true },
      { field: 'swarm.web.env.MODE', before: '(sensitive)', after: 'two', sensitive: false },
    ]);
    expect(JSON.stringify(changes)).not.toMatch(/s3cret|n3w-secret/);
  });

  it('a service the file no longer has shows as removed; one not yet deployed as new', () => {
    const other = { ...inspected(), Spec: { ...inspected().Spec, Name: 'shop_old' } };
    const changes = driftOf({ declared: declared.filter((entry) => entry.name === 'agent'), deployed: [deployedService('old', other)], sensitive: [], redact });
    expect(changes).toEqual([
      { field: 'swarm.agent.image', after: 'stack-test/busybox:latest', sensitive: false },
      { field: 'swarm.old', before: 'deployed', after: 'removed', sensitive: false },
    ]);
  });
});
