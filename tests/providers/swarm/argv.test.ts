import { describe, expect, it } from 'vitest';
import { deployArgv, scaleArgv, serviceLogsArgv, serviceLsArgv, servicePsArgv, stackNetworksArgv, stackRmArgv, swarmInfoArgv, swarmStackName } from '../../../src/providers/swarm/argv.js';

describe('swarm argv builders', () => {
  it('deploys with --prune and never resolves the image against a registry', () => {
    expect(deployArgv({ file: '/s/compose.yaml', stack: 'shop-web' })).toEqual(['docker', 'stack', 'deploy', '--prune', '--resolve-image', 'never', '-c', '/s/compose.yaml', 'shop-web']);
    expect(stackRmArgv('shop-web')).toEqual(['docker', 'stack', 'rm', 'shop-web']);
  });

  it('finds the stack by its namespace label', () => {
    expect(serviceLsArgv('shop')).toEqual(['docker', 'service', 'ls', '--filter', 'label=com.docker.stack.namespace=shop', '--format', '{{json .}}']);
    expect(stackNetworksArgv('shop')).toEqual(['docker', 'network', 'ls', '-q', '--filter', 'label=com.docker.stack.namespace=shop']);
    expect(servicePsArgv(['a1', 'b2'])).toEqual(['docker', 'service', 'ps', '--no-trunc', '--format', '{{json .}}', 'a1', 'b2']);
    expect(swarmInfoArgv()).toEqual(['docker', 'info', '--format', '{{json .Swarm}}']);
  });

  it('scales services sorted by name, detached', () => {
    expect(scaleArgv({ shop_web: 0, shop_api: 0 })).toEqual(['docker', 'service', 'scale', '--detach', 'shop_api=0', 'shop_web=0']);
  });

  it('maps the logs flags: since, tail, follow, always with the engine’s times', () => {
    expect(serviceLogsArgv('shop_web')).toEqual(['docker', 'service', 'logs', '--timestamps', '--no-task-ids', '--no-trunc', 'shop_web']);
    expect(serviceLogsArgv('shop_web', { follow: true, since: '2026-01-02T03:04:05.000000000Z', tail: 20 })).toEqual([
      'docker', 'service', 'logs', '--timestamps', '--no-task-ids', '--no-trunc', '--follow', '--since', '2026-01-02T03:04:05.000000000Z', '--tail', '20', 'shop_web',
    ]);
  });

  it('derives a stack name docker accepts', () => {
    expect(swarmStackName('My.Shop-web')).toBe('myshop-web');
  });
});
