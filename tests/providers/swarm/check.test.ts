import { describe, expect, it } from 'vitest';
import { ExitCode, StackError } from '../../../src/model/errors.js';
import { checkSwarm, checkSwarmManager, notAManager } from '../../../src/providers/swarm/check.js';
import type { CommandResult } from '../../../src/os/runner.js';

function answering(swarm: object, engine = 0) {
  const calls: string[] = [];
  const run = async (argv: readonly string[]): Promise<CommandResult> => {
    calls.push(argv.join(' '));
    if (argv[1] === 'version') return { exitCode: engine, stdout: engine === 0 ? '20.10.24\n' : '', stderr: engine === 0 ? '' : 'Cannot connect to the Docker daemon', timedOut: false };
    return { exitCode: 0, stdout: JSON.stringify(swarm), stderr: '', timedOut: false };
  };
  return { run, calls };
}

describe('is this engine a swarm manager', () => {
  it('says why not, in words', () => {
    expect(notAManager({ LocalNodeState: 'active', ControlAvailable: true })).toBeUndefined();
    expect(notAManager({ LocalNodeState: 'inactive' })).toBe('this docker engine is not part of a swarm');
    expect(notAManager({ LocalNodeState: 'active', ControlAvailable: false })).toMatch(/worker, not a manager/);
    expect(notAManager({ LocalNodeState: 'error', Error: 'raft lost' })).toBe("this docker engine's swarm is error (raft lost)");
  });

  it('exit 6 with the fix (docker swarm init, DOCKER_HOST, a docker context) when not a manager or no engine', async () => {
    const inactive = answering({ LocalNodeState: 'inactive' });
    const error = await checkSwarmManager(inactive.run, {}).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StackError);
    expect((error as StackError).code).toBe(ExitCode.providerUnavailable);
    expect((error as StackError).hint).toMatch(/docker swarm init.*DOCKER_HOST.*docker context/);
    expect(inactive.calls).toEqual(['docker version --format {{.Server.Version}}', 'docker info --format {{json .Swarm}}']);

    const down = answering({}, 1);
    expect(((await checkSwarmManager(down.run, {}).catch((caught: unknown) => caught)) as StackError).code).toBe(ExitCode.providerUnavailable);
    expect(down.calls).toHaveLength(1);
  });

  it('stack check says the same', async () => {
    expect(await checkSwarm(answering({ LocalNodeState: 'active', ControlAvailable: true }).run)).toEqual([{ check: 'swarm', ok: true, detail: 'this docker engine is a swarm manager' }]);
    expect((await checkSwarm(answering({ LocalNodeState: 'inactive' }).run))[0]).toMatchObject({ ok: false, detail: 'this docker engine is not part of a swarm' });
  });
});
