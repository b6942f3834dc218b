// A compose service's figures for `status -o wide`: docker's output parsed, and the commands asked,
// without an engine (the real one: compose-provider.test.ts, "usage").
import { describe, expect, it } from 'vitest';
import type { Run } from '../../../src/providers/compose/cli.js';
import type { ComposeSpec } from '../../../src/providers/compose/spec.js';
import { containersCommand, parseByteSize, parseStatsLines, readComposeUsage, sumStats } from '../../../src/providers/compose/usage.js';
import { parsePsLines } from '../../../src/providers/compose/containers.js';

// As docker 28 prints them (`docker stats --no-stream --no-trunc --format '{{json .}}'`, `docker ps -a --no-trunc --format '{{json .}}'`).
const STATS = [
  '{"BlockIO":"0B / 0B","CPUPerc":"99.87%","Container":"aaa111","ID":"aaa111","MemPerc":"0.02%","MemUsage":"1.5MiB / 7.668GiB","Name":"p-web-1","NetIO":"1.2kB / 0B","PIDs":"2"}',
  '{"BlockIO":"0B / 0B","CPUPerc":"0.05%","Container":"bbb222","ID":"bbb222","MemPerc":"0.30%","MemUsage":"24.25MiB / 7.668GiB","Name":"p-db-1","NetIO":"0B / 0B","PIDs":"7"}',
  '{"CPUPerc":"--","ID":"ccc333","MemUsage":"-- / --","Name":"p-gone-1"}',
  'not json',
].join('\n');

const ps = (id: string, service: string, state: string, image: string, command: string) =>
  JSON.stringify({ Command: JSON.stringify(command), ID: id, Image: image, Labels: `com.docker.compose.project=p,com.docker.compose.service=${service},com.docker.compose.oneoff=False`, Names: `p-${service}-1`, State: state, Status: state === 'running' ? 'Up 3 minutes' : 'Exited (0) 1 minute ago' });

const PS = [ps('aaa111', 'web', 'running', 'nginx:1.27', "nginx -g daemon off;"), ps('bbb222', 'db', 'running', 'postgres:16', 'docker-entrypoint.sh postgres'), ps('ddd444', 'old', 'exited', 'busybox', 'true')].join('\n');

const spec: ComposeSpec = { file: '/tmp/compose.yaml', project: 'p', services: [], profiles: [], scale: {}, wait: false, env: {} };
const ctx = { signal: new AbortController().signal, root: '/tmp', stateDir: '/tmp/.stack', redact: (text: string) => text.replaceAll('postgres:16', '(sensitive)') };

describe('compose usage', () => {
  it('parses docker stats: percent of one core, the memory in use (binary and decimal units), null for "--"', () => {
    expect(parseStatsLines(STATS)).toEqual([
      { id: 'aaa111', cpu: 99.87, memory: Math.round(1.5 * 1024 ** 2) },
      { id: 'bbb222', cpu: 0.05, memory: Math.round(24.25 * 1024 ** 2) },
      { id: 'ccc333', cpu: null, memory: null },
    ]);
    expect([parseByteSize('0B'), parseByteSize('1.2kB'), parseByteSize('3GB'), parseByteSize('2GiB'), parseByteSize('--'), parseByteSize('')]).toEqual([0, 1200, 3e9, 2 * 1024 ** 3, null, null]);
  });

  it('sums the asked containers (a short id matches the long one) and leaves a figure null when none had it', () => {
    const stats = parseStatsLines(STATS);
    expect(sumStats(stats, ['aaa111000', 'bbb222000'])).toEqual({ cpu: 99.9, memory: Math.round(1.5 * 1024 ** 2) + Math.round(24.25 * 1024 ** 2) });
    expect(sumStats(stats, ['ccc333'])).toEqual({ cpu: null, memory: null });
    expect(sumStats(stats, ['zzz'])).toEqual({ cpu: null, memory: null });
  });

  it('names what each container runs: image and command, by service when there are several', () => {
    const [web, db] = parsePsLines(PS);
    expect(web).toMatchObject({ image: 'nginx:1.27', command: 'nginx -g daemon off;' });
    expect(containersCommand([web!])).toBe('nginx:1.27 nginx -g daemon off;');
    expect(containersCommand([web!, db!])).toBe('web: nginx:1.27 nginx -g daemon off; | db: postgres:16 docker-entrypoint.sh postgres');
  });

  it('asks docker ps, then docker stats for the running containers of the selected services only; the command passes the redactor', async () => {
    const calls: string[] = [];
    const run: Run = async (argv) => {
      calls.push(argv.join(' '));
      const stdout = argv[1] === 'ps' ? PS : argv[1] === 'stats' ? STATS : '';
      return { exitCode: 0, stdout, stderr: '', timedOut: false };
    };
    expect(await readComposeUsage(run, 'app', { ...spec, services: ['db'] }, ctx)).toEqual({ cpu: 0.1, memory: Math.round(24.25 * 1024 ** 2), command: '(sensitive) docker-entrypoint.sh postgres' });
    expect(calls).toEqual([
      "docker ps -a --no-trunc --filter label=com.docker.compose.project=p --format {{json .}}",
      'docker stats --no-stream --no-trunc --format {{json .}} bbb222',
    ]);
  });

  it('given the provider\'s listing (the engine\'s socket), runs docker stats alone; no listing, no figures', async () => {
    const calls: string[] = [];
    const run: Run = async (argv) => {
      calls.push(argv.join(' '));
      return { exitCode: 0, stdout: argv[1] === 'stats' ? STATS : '', stderr: '', timedOut: false };
    };
    expect(await readComposeUsage(run, 'app', { ...spec, services: ['db'] }, ctx, async () => parsePsLines(PS))).toEqual({ cpu: 0.1, memory: Math.round(24.25 * 1024 ** 2), command: '(sensitive) docker-entrypoint.sh postgres' });
    expect(calls).toEqual(['docker stats --no-stream --no-trunc --format {{json .}} bbb222']);
    expect(await readComposeUsage(run, 'app', spec, ctx, async () => undefined)).toBeUndefined();
    expect(calls).toHaveLength(1);
  });

  it('gives nothing when no container runs, and the command without figures when docker stats fails', async () => {
    const exitedOnly: Run = async () => ({ exitCode: 0, stdout: ps('ddd444', 'old', 'exited', 'busybox', 'true'), stderr: '', timedOut: false });
    expect(await readComposeUsage(exitedOnly, 'app', spec, ctx)).toBeUndefined();
    const statsFails: Run = async (argv) => ({ exitCode: argv[1] === 'stats' ? 1 : 0, stdout: argv[1] === 'ps' ? PS : '', stderr: '', timedOut: false });
    expect(await readComposeUsage(statsFails, 'app', { ...spec, services: ['web'] }, ctx)).toEqual({ cpu: null, memory: null, command: 'nginx:1.27 nginx -g daemon off;' });
  });
});
