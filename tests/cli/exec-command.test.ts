// `stack exec SERVICE -- CMD…` through the built binary, on real processes: the service's env and
// cwd, the exit code passed on, stdin, the marker never carried, secrets never printed.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isAlive, spawnCli, stack, waitFor } from '../support/stack-cli.js';
import { Cleanup, sleepsWith, type Scratch } from '../support/controller.js';
import { uniqueMarker } from '../support/marker.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const SECRET = 'tok-8f3a91c2e7';

/** `web`: a sleeper in `sub/`, env from an env file, `env:` and an interpolated `${WHO}`. */
function webStack(extra = ''): Scratch {
  const m = cleanup.marker(uniqueMarker());
  const s = cleanup.scratch(
    `version: 1\nservices:\n  web:\n    command: sleep ${m}\n    cwd: sub\n    envFile: web.env\n    env:\n      GREETING: "hello \${WHO}"\n${extra}`,
    { 'web.env': `FROM_FILE=file-value\nAPI_TOKEN=${SECRET}\n` },
  );
  mkdirSync(join(s.dir, 'sub'));
  return s;
}

const exec = (s: Scratch, args: string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}) =>
  stack(['exec', '-f', s.file, ...args], { cwd: s.dir, env: { WHO: 'world', ...options.env }, ...options });

describe('stack exec on a process service', () => {
  it("runs the command with the service's env (env file, env:, interpolation) and cwd, without it running; its exit code is stack's", () => {
    const s = webStack();
    const result = exec(s, ['web', '--', 'sh', '-c', 'echo "$GREETING|$FROM_FILE"; pwd; exit 7']);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(`hello world|file-value\n${join(s.dir, 'sub')}\n`);
    expect(result.code).toBe(7);
    expect(exec(s, ['web', '--', 'true']).code).toBe(0);
    // Nothing recorded: exec is no run of the service.
    expect(existsSync(join(s.dir, '.stack', 'state.json')) ? Object.keys(s.state().services) : []).toEqual([]);
  });

  it('passes a signal death on as 128 + n, and stdin to the command', () => {
    const s = webStack();
    expect(exec(s, ['web', '--', 'sh', '-c', 'kill -TERM $$']).code).toBe(128 + 15);
    expect(exec(s, ['web', '--', 'sh', '-c', 'kill -KILL $$']).code).toBe(128 + 9);
    const piped = exec(s, ['web', '--', 'cat'], { input: 'line one\nline two\n' });
    expect(piped).toMatchObject({ code: 0, stdout: 'line one\nline two\n' });
  });

  it('runs the command as given, no shell, even for a `shell: true` service; flags after `--` are never stack\'s', () => {
    const s = webStack();
    s.write(readFileSync(s.file, 'utf8').replace(/command: sleep (\S+)/, 'command: "sleep $1"\n    shell: true'));
    const result = exec(s, ['web', '--', 'echo', '$GREETING', '-f', '--verbose']);
    expect(result).toMatchObject({ code: 0, stdout: '$GREETING -f --verbose\n', stderr: '' });
  });

  it('never carries the marker of a run: not even inherited from a stack started by a service; down leaves it alone', async () => {
    const s = webStack();
    expect(stack(['apply', '--yes', '-f', s.file], { env: { WHO: 'world' } }).code).toBe(0);
    const recorded = s.state().services.web as { pid: number };
    const runEnviron = readFileSync(`/proc/${recorded.pid}/environ`, 'utf8');
    // The service's run has it (the test can fail): exec's environment must not.
    const marker = runEnviron.split('\0').filter((entry) => entry.startsWith('STACK_SERVICE_ID=') || entry.startsWith('STACK_SPEC_HASH='));
    expect(marker).toHaveLength(2);
    const inherited = Object.fromEntries(marker.map((entry) => entry.split('=') as [string, string]));
    expect(exec(s, ['web', '--', 'env'], { env: inherited }).stdout).not.toMatch(/^STACK_(SERVICE_ID|SPEC_HASH)=/m);

    // A long exec while the service runs: down stops the service, not the exec'd process.
    const m = cleanup.marker(uniqueMarker());
    const cli = spawnCli(['exec', '-f', s.file, 'web', '--', 'sleep', m], { env: { ...inherited, WHO: 'world' } });
    await waitFor(() => sleepsWith(m).length === 1, 10_000, 'the exec to start');
    const [execd] = sleepsWith(m);
    expect(readFileSync(`/proc/${execd?.pid}/environ`, 'utf8')).not.toContain('STACK_SERVICE_ID=');
    expect(stack(['down', '--yes', '-f', s.file]).code).toBe(0);
    expect(isAlive(recorded.pid)).toBe(false);
    expect(isAlive(execd?.pid as number)).toBe(true);
    // SIGTERM to stack reaches the command; stack waits for it and passes its end on.
    cli.child.kill('SIGTERM');
    expect(await cli.done).toMatchObject({ code: 128 + 15 });
    expect(isAlive(execd?.pid as number)).toBe(false);
  });

  it('prints no secret with --verbose: the command line is redacted, the env is never shown', () => {
    const s = webStack();
    const result = stack(['--verbose', 'exec', '-f', s.file, 'web', '--', 'sh', '-c', `test "$API_TOKEN" = ${SECRET} && echo same`], { env: { WHO: 'world' } });
    expect(result).toMatchObject({ code: 0, stdout: 'same\n' });
    expect(result.stderr).toContain('$ sh -c');
    expect(result.stderr).not.toContain(SECRET);
  });

  it('runs in a disabled service\'s environment too, and in an exec service\'s folder and env', () => {
    const s = webStack(`  tool:\n    enabled: false\n    exec: { start: "true", stop: "true", status: "false", cwd: sub, env: { MODE: tooling } }\n`);
    s.write(readFileSync(s.file, 'utf8').replace('    cwd: sub\n    envFile', '    enabled: false\n    cwd: sub\n    envFile'));
    expect(exec(s, ['web', '--', 'sh', '-c', 'echo $FROM_FILE']).stdout).toBe('file-value\n');
    expect(exec(s, ['tool', '--', 'sh', '-c', 'echo $MODE; pwd'])).toMatchObject({ code: 0, stdout: `tooling\n${join(s.dir, 'sub')}\n` });
  });
});

describe('stack exec refuses in one line', () => {
  it('an unknown service (4), a missing `--` or command (1), a program not found (127), a plugin service (1)', () => {
    const s = webStack();
    const plugin = join(s.dir, 'plugins', 'one');
    mkdirSync(plugin, { recursive: true });
    writeFileSync(join(plugin, 'plugin.yaml'), 'name: one\nlifecycle:\n  start: "true"\n  stop: "true"\n  status: "true"\n');
    s.write(`${readFileSync(s.file, 'utf8')}  one:\n    plugin: ./plugins/one\n`);

    const unknown = exec(s, ['nope', '--', 'true']);
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toMatch(/^error: no service named "nope"/);
    const noDashes = exec(s, ['web', 'ls', '-la']);
    expect(noDashes).toMatchObject({ code: 1, stderr: 'error: stack exec needs `--` between the service and the command\nhint: `stack exec web -- ls -la`\n' });
    expect(exec(s, ['web', '--']).code).toBe(1);
    const missing = exec(s, ['web', '--', 'no-such-program-here']);
    expect(missing).toMatchObject({ code: 127, stderr: 'error: web: executable "no-such-program-here" not found on PATH\n' });
    const pluginResult = exec(s, ['one', '--', 'true']);
    expect(pluginResult.code).toBe(1);
    expect(pluginResult.stderr).toBe('error: one is a plugin service: stack exec does not run commands in those\nhint: `stack run one <script>` runs a script of the plugin with the service\'s environment\n');
  });

  it('an invalid stack.yaml: exit 5 with file:line:col, nothing run', () => {
    const s = webStack();
    s.write(readFileSync(s.file, 'utf8').replace('    cwd: sub', '    cwd: sub\n    restart: sometimes'));
    const result = exec(s, ['web', '--', 'touch', 'ran']);
    expect(result.code).toBe(5);
    expect(result.stderr).toMatch(/stack\.yaml:\d+:\d+/);
    expect(existsSync(join(s.dir, 'sub', 'ran'))).toBe(false);
  });
});
