import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { processesWith, stack, tempStack, waitFor } from '../support/stack-cli.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** A plugin whose every lifecycle command appends `<op> <name>` (and its cwd for start) to ../../journal. */
function writePlugin(root: string, name: string, extra: string[] = []): string {
  const dir = join(root, 'plugins', name);
  mkdirSync(dir, { recursive: true });
  const log = (op: string) => `echo "${op} ${name}" >> ../../journal`;
  writeFileSync(join(dir, 'plugin.yaml'), [
    `name: ${name}`,
    'lifecycle:',
    `  install: ${log('install')}`,
    `  start: ${log('start')}; echo "cwd $PWD" >> ../../journal; touch running; echo "${name} is up"`,
    `  stop: ${log('stop')}; rm -f running`,
    `  uninstall: ${log('uninstall')}`,
    '  status: test -f running || exit 3',
    'ignore: [running]',
    ...extra,
  ].join('\n') + '\n');
  writeFileSync(join(dir, 'check.sh'), 'echo "check $1 $MODE"\nexit 7\n');
  return dir;
}

function setup(yaml: string) {
  const fixture = tempStack(yaml);
  cleanups.push(() => fixture.cleanup());
  return fixture;
}

const journal = (root: string) => readFileSync(join(root, 'journal'), 'utf8').trim().split('\n');

describe('plugin services through the CLI', () => {
  it('installs then starts in manifest order, stops in reverse, uninstalls after stop', () => {
    const fixture = setup('version: 1\nservices:\n  one:\n    plugin: ./plugins/one\n  two:\n    plugin: ./plugins/two\n');
    const one = writePlugin(fixture.dir, 'one');
    writePlugin(fixture.dir, 'two');
    const applied = stack(['apply', '--yes', '--parallel', '1'], { cwd: fixture.dir });
    expect(applied.code, applied.stderr).toBe(0);
    expect(journal(fixture.dir)).toEqual(['install one', 'start one', `cwd ${one}`, 'install two', 'start two', `cwd ${join(fixture.dir, 'plugins', 'two')}`]);
    expect(applied.stderr).toContain('one | one is up');

    const status = stack(['status', '--json'], { cwd: fixture.dir });
    expect(JSON.parse(status.stdout).services.map((service: { observed: string }) => service.observed)).toEqual(['running', 'running']);

    writeFileSync(join(fixture.dir, 'journal'), '');
    fixture.write('version: 1\nservices:\n  one:\n    plugin: ./plugins/one\n    enabled: false\n  two:\n    plugin: ./plugins/two\n    enabled: false\n');
    const removed = stack(['apply', '--yes', '--parallel', '1'], { cwd: fixture.dir });
    expect(removed.code, removed.stderr).toBe(0);
    expect(journal(fixture.dir)).toEqual(['stop two', 'uninstall two', 'stop one', 'uninstall one']);
  });

  it('uses the restart lifecycle command when one is defined, stop then start otherwise', () => {
    const fixture = setup('version: 1\nservices:\n  one:\n    plugin: ./plugins/one\n  two:\n    plugin: ./plugins/two\n');
    const one = writePlugin(fixture.dir, 'one');
    const manifest = join(one, 'plugin.yaml');
    writeFileSync(manifest, readFileSync(manifest, 'utf8').replace('lifecycle:\n', 'lifecycle:\n  restart: echo "restart one" >> ../../journal\n'));
    writePlugin(fixture.dir, 'two');
    expect(stack(['apply', '--yes', '--parallel', '1'], { cwd: fixture.dir }).code).toBe(0);
    writeFileSync(join(fixture.dir, 'journal'), '');
    const restarted = stack(['restart', 'one', 'two', '--parallel', '1'], { cwd: fixture.dir });
    expect(restarted.code, restarted.stderr).toBe(0);
    // Manifest order (one, two), one service at a time: one by its restart command, two by stop then start.
    expect(journal(fixture.dir)).toEqual(['restart one', 'stop two', 'start two', `cwd ${join(fixture.dir, 'plugins', 'two')}`]);
    expect(restarted.stdout).toMatch(/one restarted/);
  });

  it('reads LSB status 3 as stopped and plans a start', () => {
    const fixture = setup('version: 1\nservices:\n  one:\n    plugin: ./plugins/one\n');
    const dir = writePlugin(fixture.dir, 'one');
    expect(stack(['apply', '--yes'], { cwd: fixture.dir }).code).toBe(0);
    spawnSync('rm', [join(dir, 'running')]);
    const status = stack(['status', '--json'], { cwd: fixture.dir });
    expect(JSON.parse(status.stdout).services[0].observed).toBe('stopped');
    const plan = stack(['plan', '--json'], { cwd: fixture.dir });
    expect(JSON.parse(plan.stdout).actions.map((action: { op: string }) => action.op)).toEqual(['start']);
  });

  it('plans a reinstall when a plugin file changes, and nothing for an ignored one', () => {
    const fixture = setup('version: 1\nservices:\n  one:\n    plugin: ./plugins/one\n');
    const dir = writePlugin(fixture.dir, 'one');
    expect(stack(['apply', '--yes'], { cwd: fixture.dir }).code).toBe(0);
    expect(JSON.parse(stack(['plan', '--json'], { cwd: fixture.dir }).stdout).actions).toEqual([]);
    appendFileSync(join(dir, 'check.sh'), '# edited\n');
    const plan = JSON.parse(stack(['plan', '--json'], { cwd: fixture.dir }).stdout);
    expect(plan.actions.map((action: { op: string }) => action.op)).toEqual(['stop', 'install', 'start']);
    expect(plan.actions[0].reason).toBe('spec changed: plugin.files (changed check.sh)');
  });

  it('a plugin that writes pid, data and .env into its folder converges; an edited script is named in the plan', async () => {
    const fixture = setup('version: 1\nservices:\n  keeper:\n    plugin: ./plugins/keeper\n');
    const dir = join(fixture.dir, 'plugins', 'keeper');
    const m = String(80_000 + Math.floor(Math.random() * 9_000));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'plugin.yaml'), 'name: keeper\nlifecycle:\n  install: sh install.sh\n  start: sh start.sh\n  stop: kill $(cat run/pid) $(cat run/writer)\n');
    // data/ is what the running plugin keeps writing: .gitignore leaves it out. run/pid, .env and
    // the install's stamp are written by its own install and start: they are part of what was applied.
    writeFileSync(join(dir, '.gitignore'), 'data/\n');
    writeFileSync(join(dir, 'install.sh'), 'date > installed-at\n');
    writeFileSync(join(dir, 'start.sh'), [
      'mkdir -p run data',
      'echo "TOKEN=$(date +%s%N)" > .env',
      `sleep ${m} & echo $! > run/pid`,
      `sh -c 'i=0; while true; do i=$((i+1)); echo $i > data/x; sleep 0.05; done; : ${m}' & echo $! > run/writer`,
    ].join('\n') + '\n');
    writeFileSync(join(dir, 'old.sh'), 'echo old\n');
    cleanups.push(() => {
      for (const proc of processesWith(String(m))) process.kill(proc.pid, 'SIGKILL');
    });

    const applied = stack(['apply', '--yes'], { cwd: fixture.dir });
    expect(applied.code, applied.stderr).toBe(0);
    for (const file of ['run/pid', '.env', 'installed-at']) expect(existsSync(join(dir, file)), file).toBe(true);
    // The plugin goes on writing into data/ after apply.
    const seen = readFileSync(join(dir, 'data', 'x'), 'utf8');
    await waitFor(() => readFileSync(join(dir, 'data', 'x'), 'utf8') !== seen, 5000, 'the plugin to write data/x again');
    const settled = stack(['plan', '--detailed-exitcode'], { cwd: fixture.dir });
    expect(settled.stdout).toContain('No changes.');
    expect(settled.code).toBe(0);

    appendFileSync(join(dir, 'start.sh'), '# edited\n');
    writeFileSync(join(dir, 'lib.sh'), 'echo lib\n');
    rmSync(join(dir, 'old.sh'));
    const plan = stack(['plan'], { cwd: fixture.dir });
    expect(plan.stdout).toMatch(/~ keeper\s+stop\s+spec changed: plugin\.files \(changed start\.sh; added lib\.sh; removed old\.sh\)/);
    expect(plan.stdout).toMatch(/plugin\.files:\n\s+~ start\.sh\n\s+\+ lib\.sh\n\s+- old\.sh\n/);
    expect(plan.stdout).not.toMatch(/[0-9a-f]{26}/);

    expect(stack(['apply', '--yes'], { cwd: fixture.dir }).code).toBe(0);
    expect(stack(['plan', '--detailed-exitcode'], { cwd: fixture.dir }).code).toBe(0);
    expect(stack(['down', '--yes'], { cwd: fixture.dir }).code).toBe(0);
    expect(processesWith(String(m))).toEqual([]);
  });

  it('stack run passes the exit code through, with the service env and the plugin folder as cwd', () => {
    const fixture = setup('version: 1\nservices:\n  one:\n    plugin: ./plugins/one\n    env: { MODE: fast }\n');
    writePlugin(fixture.dir, 'one');
    const result = stack(['run', 'one', 'check', 'arg1'], { cwd: fixture.dir });
    expect(result.code).toBe(7);
    expect(result.stdout).toBe('check arg1 fast\n');
    const unknown = stack(['run', 'one', 'nope'], { cwd: fixture.dir });
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toContain('plugin one has no script "nope"');
    expect(unknown.stderr).toContain('check');
  });

  it('exits 5 with file:line:col when a plugin.yaml is invalid, and starts nothing', () => {
    const fixture = setup('version: 1\nservices:\n  one:\n    plugin: ./plugins/one\n');
    writePlugin(fixture.dir, 'one', ['lifecylce: {}']);
    const result = stack(['apply', '--yes'], { cwd: fixture.dir });
    expect(result.code).toBe(5);
    expect(result.stderr).toContain('plugins/one/plugin.yaml:9:1');
    expect(result.stderr).toContain('unknown key "lifecylce" (did you mean "lifecycle"?)');
    expect(() => readFileSync(join(fixture.dir, 'journal'))).toThrow();
  });

  it('stack add clones a git repository, pins its commit, installs and starts; remove --purge takes it away', () => {
    const fixture = setup('# my stack\nversion: 1\nservices:\n  base:   # kept as is\n    plugin: ./plugins/base\n');
    writePlugin(fixture.dir, 'base');
    const source = join(fixture.dir, 'src-repo');
    writePlugin(source, 'mem');
    const work = join(source, 'plugins', 'mem');
    const git = (args: string[], cwd: string) => {
      const result = spawnSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } });
      expect(result.status, result.stderr).toBe(0);
      return result.stdout.trim();
    };
    git(['init', '--quiet'], work);
    git(['add', '.'], work);
    git(['commit', '--quiet', '-m', 'one'], work);
    const first = git(['rev-parse', 'HEAD'], work);
    appendFileSync(join(work, 'check.sh'), '# two\n');
    git(['commit', '--quiet', '-am', 'two'], work);
    const bare = join(fixture.dir, 'mem.git');
    git(['clone', '--quiet', '--bare', work, bare], fixture.dir);

    const added = stack(['add', `${bare}#${first}`, '--name', 'memory'], { cwd: fixture.dir });
    expect(added.code, added.stderr).toBe(0);
    const text = readFileSync(fixture.file, 'utf8');
    expect(text).toBe(`# my stack\nversion: 1\nservices:\n  base:   # kept as is\n    plugin: ./plugins/base\n  memory:\n    provider: plugin\n    plugin:\n      path: ./plugins/memory\n      source: ${bare}\n      ref: ${first}\n`);
    expect(git(['rev-parse', 'HEAD'], join(fixture.dir, 'plugins', 'memory'))).toBe(first);
    expect(journal(fixture.dir)).toEqual(['install mem', 'start mem', `cwd ${join(fixture.dir, 'plugins', 'memory')}`]);

    const removed = stack(['remove', 'memory', '--purge'], { cwd: fixture.dir });
    expect(removed.code, removed.stderr).toBe(0);
    expect(journal(fixture.dir).slice(-2)).toEqual(['stop mem', 'uninstall mem']);
    expect(readFileSync(fixture.file, 'utf8')).toBe('# my stack\nversion: 1\nservices:\n  base:   # kept as is\n    plugin: ./plugins/base\n');
  });

  it('stack add refuses a git URL that carries credentials, printing and writing none of them, and says how to let git supply them', () => {
    const yaml = 'version: 1\nservices: {}\n';
    const fixture = setup(yaml);
    for (const url of ['https://ada:tok_S3cretValue99@127.0.0.1:9/mem.git', 'https://tok_S3cretValue99@127.0.0.1:9/mem.git#main', 'ssh://ada:tok_S3cretValue99@127.0.0.1:9/mem.git']) {
      const added = stack(['add', url, '--verbose'], { cwd: fixture.dir });
      expect(added.code, url).toBe(1);
      expect(added.stderr).toContain('the git URL carries credentials');
      expect(added.stderr).toMatch(/give it as (https|ssh):\/\/(ada@)?127\.0\.0\.1:9\/mem\.git/);
      expect(added.stderr).toContain('credential.helper');
      expect(`${added.stdout}${added.stderr}`).not.toContain('S3cret');
      expect(readFileSync(fixture.file, 'utf8')).toBe(yaml);
      expect(existsSync(join(fixture.dir, 'plugins'))).toBe(false);
    }
  });

  it('stack add --stopped installs a local folder without starting it; remove keeps the entry disabled', () => {
    const fixture = setup('version: 1\nservices: {}\n');
    writePlugin(fixture.dir, 'one');
    const added = stack(['add', './plugins/one', '--stopped'], { cwd: fixture.dir });
    expect(added.code, added.stderr).toBe(0);
    expect(journal(fixture.dir)).toEqual(['install one']);
    expect(readFileSync(fixture.file, 'utf8')).toContain('one:');
    const removed = stack(['remove', 'one'], { cwd: fixture.dir });
    expect(removed.code, removed.stderr).toBe(0);
    expect(journal(fixture.dir)).toEqual(['install one', 'uninstall one']);
    expect(readFileSync(fixture.file, 'utf8')).toContain('enabled: false');
  });
});
