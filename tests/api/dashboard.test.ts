// `stack dashboard`'s routes (docs/dashboard.md, "Routes") on a real stack of `sleep` services,
// with and without a controller, spoken to with node's fetch as the page would.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { Cleanup } from '../support/controller.js';
import { openDashboard, type OpenDashboard } from '../support/dashboard.js';
import { GIT_ENV, gitIn } from '../support/git-repo.js';
import { uniqueMarker } from '../support/marker.js';
import { stack, waitFor } from '../support/stack-cli.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const sleeper = (name: string, marker: string, extra = '') => `  ${name}:\n    command: sleep ${marker}\n${extra}`;

/** A stack of `services` (YAML under `services:`), applied without a controller. */
function applied(services: string, head = '') {
  const s = cleanup.scratch(`version: 1\nproject: dashtest\n${head}services:\n${services}`);
  const result = stack(['apply', '--yes', '-f', s.file]);
  expect(result.code, result.stderr).toBe(0);
  return s;
}

const rowOf = (body: { services: { name: string }[] }, name: string) => body.services.find((row) => row.name === name) as Record<string, unknown> | undefined;

describe('stack dashboard without a controller', () => {
  it('status lists the services with what each depends on; the session names no controller', async () => {
    const m = cleanup.marker(uniqueMarker());
    const s = applied(`${sleeper('db', m)}${sleeper('web', m, '    dependsOn: [db]\n')}`);
    const d = await openDashboard(cleanup, s.file);

    expect((await d.get('/api/v1/session')).json()).toMatchObject({ formatVersion: 1, project: 'dashtest', stackFile: s.file, controller: null, csrf: d.csrf });
    const status = (await d.get('/api/v1/status')).json();
    expect(status).toMatchObject({ formatVersion: 1, project: 'dashtest', source: 'observed', dependsOn: { db: [], web: ['db'] }, pending: 0, pendingServices: [] });
    expect(status.services.map((row: { name: string }) => row.name)).toEqual(['db', 'web']);
    expect(rowOf(status, 'web')).toMatchObject({ desired: 'running', observed: 'running', pid: expect.any(Number) });
  });

  it('a page carries its first status and session (no request before the table); a problem quoting </script> stays inside its JSON', async () => {
    const m = cleanup.marker(uniqueMarker());
    const s = applied(sleeper('web', m));
    const d = await openDashboard(cleanup, s.file);
    const bootOf = (page: string) => JSON.parse(/<script type="application\/json" id="stack-boot">(.*?)<\/script>/s.exec(page)?.[1] ?? 'null');
    const page = await d.get('/services/web');
    expect(page.status).toBe(200);
    expect(bootOf(page.text)).toMatchObject({ formatVersion: 1, session: { csrf: d.csrf, controller: null }, status: { services: [{ name: 'web', observed: 'running' }] } });

    s.write(`version: 1\nproject: dashtest\nservices:\n${sleeper('web', m)}    "</script><script>alert(1)</script>": 1\n`);
    await waitFor(async () => /alert/.test((await d.get('/api/v1/status')).json().problem ?? ''), 10_000, 'the problem');
    const troubled = (await d.get('/')).text;
    expect(troubled.match(/<\/script>/g)).toHaveLength(2);
    expect(bootOf(troubled).status.problem).toContain('</script><script>alert(1)</script>');
  });

  it('a stack.yaml that stops loading is a problem with its line and column; the rows stay, and it clears once the file loads again', async () => {
    const m = cleanup.marker(uniqueMarker());
    const s = applied(sleeper('web', m));
    const good = readFileSync(s.file, 'utf8');
    const d = await openDashboard(cleanup, s.file);
    const stream = await d.sse('/api/v1/stream');
    s.write(`${good}  broken: [\n`);
    const problem = await stream.waitFor((event) => event.event === 'problem', 10_000, 'the problem');
    expect(problem.data.message).toMatch(/stack\.yaml:\d+:\d+/);
    const status = (await d.get('/api/v1/status')).json();
    expect(status.problem).toBe(problem.data.message);
    // The plan says where, too.
    const plan = await d.get('/api/v1/plan');
    expect(plan.json().error).toMatchObject({ code: 5, message: expect.stringMatching(/is not valid.*: .*stack\.yaml:\d+:\d+: /) });
    expect(rowOf(status, 'web')).toMatchObject({ observed: 'running' });
    s.write(good);
    await waitFor(async () => (await d.get('/api/v1/status')).json().problem === undefined, 10_000, 'the problem cleared');
    stream.close();
  });

  it('logs: the last lines of a service, then caught-up (follow=0); an unknown service is 404', async () => {
    const m = cleanup.marker(uniqueMarker());
    const s = applied(`  talk:\n    command: sh -c 'echo one; echo two; echo three; exec sleep ${m}'\n`);
    const d = await openDashboard(cleanup, s.file);
    await waitFor(() => readFileSync(`${s.dir}/.stack/logs/talk.log`, 'utf8').includes('three'), 5000, 'the log written');
    const logs = await d.sse('/api/v1/logs?service=talk&lines=2&follow=0');
    await logs.waitFor((event) => event.event === 'caught-up');
    expect(logs.events.filter((event) => event.event === 'line').map((event) => event.data)).toEqual([
      { formatVersion: 1, service: 'talk', text: 'two', stream: 'stdout', at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/) },
      { formatVersion: 1, service: 'talk', text: 'three', stream: 'stdout', at: expect.stringMatching(/Z$/) },
    ]);
    logs.close();
    expect((await d.get('/api/v1/logs?service=nope')).status).toBe(404);
    expect((await d.get('/api/v1/services/nope/history')).json()).toMatchObject({ error: { code: 4 } });
    for (const lines of ['1e3', '0x10', '', '-1', '10001', '2.5']) expect((await d.get(`/api/v1/logs?service=talk&lines=${lines}&follow=0`)).status, lines).toBe(400);
    // since: a duration ago or a time; the lines read in that window, none from an hour ahead.
    const since = async (value: string) => {
      const read = await d.sse(`/api/v1/logs?service=talk&lines=10000&since=${encodeURIComponent(value)}&follow=0`);
      await read.waitFor((event) => event.event === 'caught-up');
      read.close();
      return read.events.filter((event) => event.event === 'line').map((event) => event.data.text);
    };
    expect(await since('15m')).toEqual(['── talk started ──', 'one', 'two', 'three']);
    expect(await since(new Date(Date.now() + 3_600_000).toISOString())).toEqual([]);
    expect((await d.get('/api/v1/logs?service=talk&since=yesterday&follow=0')).status).toBe(400);
  });

  it('logs: a tail larger than the stream\'s buffer limit (250 lines of 60 kB) is sent whole, not dropped', async () => {
    const m = cleanup.marker(uniqueMarker());
    const print = "for (let i = 0; i < 250; i++) console.log(String(i).padStart(60000, 'x'))";
    const s = applied(`  flood:\n    command:\n      - sh\n      - -c\n      - |\n        node -e "${print}"; exec sleep ${m}\n`);
    const log = `${s.dir}/.stack/logs/flood.log`;
    await waitFor(() => readFileSync(log, 'utf8').includes('x249\n'), 10_000, 'the 250 lines written');
    const d = await openDashboard(cleanup, s.file);
    const logs = await d.sse('/api/v1/logs?service=flood&lines=250&follow=0');
    await logs.waitFor((event) => event.event === 'caught-up', 10_000, 'the tail and caught-up');
    const texts = logs.events.filter((event) => event.event === 'line').map((event) => event.data.text as string);
    logs.close();
    expect(texts).toHaveLength(250);
    expect(texts.at(-1)).toBe('249'.padStart(60000, 'x'));
  });

  it('POST stop stops the service and edits stack.yaml; the stream shows it stopped; an unknown service is 404 (exit 4)', async () => {
    const m = cleanup.marker(uniqueMarker());
    const s = applied(`${sleeper('db', m)}${sleeper('web', m)}`);
    const d = await openDashboard(cleanup, s.file);
    const stream = await d.sse('/api/v1/stream');
    await stream.waitFor((event) => event.event === 'status', 5000, 'the first status');

    const stopped = await d.post('/api/v1/services/web/stop', { commit: false });
    expect(stopped.status, stopped.text).toBe(200);
    expect(stopped.json()).toMatchObject({ formatVersion: 1, exitCode: 0 });
    expect(stopped.json().lines.join('\n')).toMatch(/web stopped/);
    expect(readFileSync(s.file, 'utf8')).toMatch(/ {2}web:\n {4}command: sleep \d+\n {4}state: stopped\n/);
    await stream.waitFor((event) => event.event === 'status' && rowOf(event.data, 'web')?.observed === 'stopped', 10_000, 'web stopped on the stream');
    expect(rowOf((await d.get('/api/v1/status')).json(), 'db')).toMatchObject({ observed: 'running' });
    stream.close();

    const unknown = await d.post('/api/v1/services/nope/stop');
    expect(unknown.status).toBe(404);
    expect(unknown.json()).toMatchObject({ formatVersion: 1, error: { code: 4 } });
    expect((await d.post('/api/v1/services/web/explode')).status).toBe(404);
  });

  it('POST stop with commit: true edits stack.yaml and commits it alone, as `stack stop --commit`', async () => {
    const m = cleanup.marker(uniqueMarker());
    const s = applied(`${sleeper('db', m)}${sleeper('web', m)}`);
    gitIn(s.dir, 'init', '-q');
    gitIn(s.dir, 'add', 'stack.yaml');
    gitIn(s.dir, 'commit', '-qm', 'first');
    const d = await openDashboard(cleanup, s.file, [], GIT_ENV);
    const stopped = await d.post('/api/v1/services/web/stop', { commit: true });
    expect(stopped.json(), stopped.text).toMatchObject({ exitCode: 0 });
    expect(gitIn(s.dir, 'rev-list', '--count', 'HEAD')).toBe('2');
    expect(gitIn(s.dir, 'log', '-1', '--format=', '--name-only')).toBe('stack.yaml');
    expect(gitIn(s.dir, 'show', 'HEAD:stack.yaml')).toMatch(/ {2}web:\n {4}command: sleep \d+\n {4}state: stopped/);
    expect(gitIn(s.dir, 'status', '--porcelain', 'stack.yaml')).toBe('');
    expect((await d.post('/api/v1/services/db/stop', { commit: 'yes' })).status).toBe(400);
  });

  it('plan shows an edit of stack.yaml with its field diff; apply carries out that plan; applying it again is 409', async () => {
    const m = cleanup.marker(uniqueMarker());
    const s = applied(sleeper('web', m));
    const d = await openDashboard(cleanup, s.file);
    expect((await d.get('/api/v1/plan')).json()).toMatchObject({ actions: [], fieldDiffs: [] });

    s.write(`version: 1\nproject: dashtest\nservices:\n${sleeper('web', `${m}1`)}`);
    cleanup.marker(`${m}1`);
    const plan = (await d.get('/api/v1/plan')).json();
    expect(plan).toMatchObject({ formatVersion: 1, actions: [{ service: 'web', op: 'stop' }, { service: 'web', op: 'start' }], planHash: expect.stringMatching(/^sha256:/) });
    expect(plan.fieldDiffs).toEqual([{ service: 'web', op: 'stop', lines: [`command: "sleep ${m}" → "sleep ${m}1"`] }]);

    const done = await d.post('/api/v1/apply', { planHash: plan.planHash });
    expect(done.status, done.text).toBe(200);
    expect(done.json()).toMatchObject({ exitCode: 0 });
    await waitFor(async () => String(rowOf((await d.get('/api/v1/status')).json(), 'web')?.observed) === 'running' && s.state().services.web?.pid, 10_000);
    const again = await d.post('/api/v1/apply', { planHash: plan.planHash });
    expect(again.status, again.text).toBe(409);
    expect((await d.post('/api/v1/apply', { planHash: 'sha256:unknown' })).status).toBe(409);
  });

  it('a plan asked for while a stop runs waits for it and shows what it left; a second change meanwhile is 409', async () => {
    const m = cleanup.marker(uniqueMarker());
    // Its stop takes two seconds: the shell runs its TERM trap once the group's `sleep 1` ends.
    const s = applied(`  slow:\n    command: sh -c 'trap "sleep 2; exit 0" TERM; while :; do sleep 1; done'\n${sleeper('db', m)}`);
    const d = await openDashboard(cleanup, s.file);
    const stopping = d.post('/api/v1/services/slow/stop');
    await waitFor(() => /state: stopped/.test(readFileSync(s.file, 'utf8')), 10_000, 'the stop to edit stack.yaml');
    const [plan, other] = await Promise.all([d.get('/api/v1/plan'), d.post('/api/v1/services/db/stop')]);
    expect(other.status, other.text).toBe(409);
    expect((await stopping).json()).toMatchObject({ exitCode: 0 });
    expect(plan.status, plan.text).toBe(200);
    expect(plan.json()).toMatchObject({ actions: [], fieldDiffs: [] });
    expect(rowOf((await d.get('/api/v1/status')).json(), 'db')).toMatchObject({ observed: 'running' });
  });

  it('history lists the commits of stack.yaml, newest first, each with its desired-state diff', async () => {
    const m = cleanup.marker(uniqueMarker());
    const s = applied(sleeper('web', m));
    gitIn(s.dir, 'init', '-q');
    gitIn(s.dir, 'add', 'stack.yaml');
    gitIn(s.dir, 'commit', '-qm', 'first');
    s.write(`version: 1\nproject: dashtest\nservices:\n${sleeper('web', m)}${sleeper('worker', m)}`);
    gitIn(s.dir, 'commit', '-qam', 'a worker');
    const d = await openDashboard(cleanup, s.file);
    const history = (await d.get('/api/v1/history?limit=5')).json();
    expect(history.commits.map((commit: { subject: string }) => commit.subject)).toEqual(['a worker', 'first']);
    expect(history.commits[0].diff.services).toEqual([expect.objectContaining({ service: 'worker', change: 'added' })]);
    expect(history.commits[1].diff.services).toEqual([expect.objectContaining({ service: 'web', change: 'added' })]);
    expect(history.commits[0].lines[0]).toMatch(/^\s*\+ worker\s+added/);
  });
});

describe('stack dashboard over a controller', () => {
  it('the stream sends a status with a new pid after a kill -9 under `stack watch`, and the controller events; logs and verbs go through it', async () => {
    const m = cleanup.marker(uniqueMarker());
    const s = cleanup.scratch(`version: 1\nproject: dashtest\ndefaults:\n  restart: { backoff: { initial: 100ms, max: 200ms } }\nservices:\n${sleeper('a', m)}${sleeper('b', m)}  talk:\n    command: sh -c 'echo hello; exec sleep ${m}'\n`);
    const controller = cleanup.cli(['watch', '--interval', '1s', '-f', s.file]);
    const watching = await controller.waitForStderr(/watching .*stack\.yaml \(pid (\d+)\)/, 15_000, 'the "watching" line');
    const d = await openDashboard(cleanup, s.file);
    expect((await d.get('/api/v1/session')).json().controller).toEqual({ pid: Number(watching[1]) });
    const stream = await d.sse('/api/v1/stream');
    const first = await stream.waitFor((event) => event.event === 'status' && rowOf(event.data, 'a')?.observed === 'running', 15_000, 'a running');
    expect(first.data.source).toBe('controller');
    const pid = rowOf(first.data, 'a')?.pid as number;

    process.kill(pid, 'SIGKILL');
    await stream.waitFor((event) => event.event === 'event' && event.data.type === 'exited' && event.data.service === 'a', 15_000, 'the exited event');
    const after = await stream.waitFor((event) => event.event === 'status' && rowOf(event.data, 'a')?.observed === 'running' && rowOf(event.data, 'a')?.pid !== pid, 15_000, 'a running again');
    expect(rowOf(after.data, 'a')).toMatchObject({ restarts: 1 });
    stream.close();
    const history = (await d.get('/api/v1/services/a/history')).json();
    expect(history.exits).toEqual([expect.objectContaining({ signal: 'SIGKILL' })]);
    expect(history.restarts).toEqual([expect.objectContaining({ attempt: 1 })]);
    expect(history.recorded).toMatchObject({ restarts: 1, gaveUp: false });

    // Logs come from the controller.
    await waitFor(() => readFileSync(`${s.dir}/.stack/logs/talk.log`, 'utf8').includes('hello'), 5000, 'the log written');
    const logs = await d.sse('/api/v1/logs?service=talk&lines=5&follow=0');
    await logs.waitFor((event) => event.event === 'caught-up');
    expect(logs.events.filter((event) => event.event === 'line').map((event) => [event.data.stream, event.data.text])).toEqual([
      ['stack', '── talk started ──'],
      ['stdout', 'hello'],
    ]);
    logs.close();

    // A verb goes through the controller, as `stack stop b` would.
    const stopped = await d.post('/api/v1/services/b/stop');
    expect(stopped.json(), stopped.text).toMatchObject({ exitCode: 0 });
    expect(readFileSync(s.file, 'utf8')).toMatch(/ {2}b:\n {4}command: sleep \d+\n {4}state: stopped\n/);
    await waitFor(async () => rowOf((await d.get('/api/v1/status')).json(), 'b')?.observed === 'stopped', 10_000, 'b stopped');
    expect(controller.result()).toBeUndefined();
  });
});

describe('a service page\'s history', () => {
  it('is what the controller kept: a dashboard opened after a crash shows it, and, once the controller ended, reads it from .stack/events.log', async () => {
    const m = cleanup.marker(uniqueMarker());
    const s = cleanup.scratch(`version: 1\nproject: dashtest\ndefaults:\n  restart: { backoff: { initial: 100ms, max: 200ms } }\nservices:\n${sleeper('a', m)}${sleeper('b', m)}`);
    const controller = cleanup.cli(['watch', '--interval', '1s', '-f', s.file]);
    await controller.waitForStderr(/watching .*stack\.yaml \(pid (\d+)\)/, 15_000, 'the "watching" line');
    await waitFor(() => typeof s.state().services.a?.pid === 'number', 15_000, 'a running');
    process.kill(s.state().services.a?.pid as number, 'SIGKILL');
    await waitFor(() => s.state().services.a?.restarts === 1 && typeof s.state().services.a?.pid === 'number', 15_000, 'a restarted');

    const d = await openDashboard(cleanup, s.file);
    const expected = { exits: [expect.objectContaining({ signal: 'SIGKILL' })], restarts: [expect.objectContaining({ attempt: 1, maxRestarts: 5 })] };
    await waitFor(async () => (await d.get('/api/v1/services/a/history')).json().exits.length === 1, 10_000, 'the exit in the history');
    expect((await d.get('/api/v1/services/a/history')).json()).toMatchObject(expected);
    expect((await d.get('/api/v1/services/b/history')).json()).toMatchObject({ exits: [], restarts: [] });

    controller.child.kill('SIGINT');
    await controller.done;
    await waitFor(async () => (await d.get('/api/v1/session')).json().controller === null, 15_000, 'the dashboard to see no controller');
    expect((await d.get('/api/v1/services/a/history')).json()).toMatchObject({ ...expected, recorded: { restarts: 1 } });
  });
});

describe('stack dashboard and secrets', () => {
  it('a sensitive env value never appears in any answer: status, stream, logs, plan, history, a verb', async () => {
    const m = cleanup.marker(uniqueMarker());
    const secret = `s3cret-${m}-value`;
    const next = `n3xt-${m}-value`;
    const service = (value: string) => `  web:\n    command: sh -c 'echo token=$$API_TOKEN; exec sleep ${m}'\n    env:\n      API_TOKEN: ${value}\n`;
    const s = applied(service(secret));
    gitIn(s.dir, 'init', '-q');
    gitIn(s.dir, 'add', 'stack.yaml');
    gitIn(s.dir, 'commit', '-qm', 'first');
    const d: OpenDashboard = await openDashboard(cleanup, s.file);

    await d.get('/api/v1/session');
    await d.get('/api/v1/status');
    expect((await d.get('/')).text).toContain('id="stack-boot"');
    const logs = await d.sse('/api/v1/logs?service=web&lines=10');
    await logs.waitFor((event) => event.event === 'line' && /^token=/.test(event.data.text), 10_000, 'the token line');
    logs.close();
    const stream = await d.sse('/api/v1/stream');
    await stream.waitFor((event) => event.event === 'status');
    stream.close();
    await d.get('/api/v1/services/web/history');

    // The new value in the file, committed: the plan and the history show that it changed, never what to.
    s.write(`version: 1\nproject: dashtest\nservices:\n${service(next)}`);
    gitIn(s.dir, 'commit', '-qam', 'rotate');
    const plan = (await d.get('/api/v1/plan')).json();
    expect(plan.fieldDiffs).toEqual([{ service: 'web', op: 'stop', lines: ['env.API_TOKEN: (sensitive)'] }]);
    const history = (await d.get('/api/v1/history')).json();
    expect(history.commits[0].diff.services[0].fields).toEqual([{ field: 'env.API_TOKEN', sensitive: true, before: null, after: null }]);
    expect((await d.post('/api/v1/apply', { planHash: plan.planHash })).json()).toMatchObject({ exitCode: 0 });
    expect((await d.post('/api/v1/services/web/restart')).json()).toMatchObject({ exitCode: 0 });
    const again = await d.sse('/api/v1/logs?service=web&lines=10');
    // The first run's line, the one after apply, the one after restart.
    await waitFor(() => again.events.filter((event) => event.event === 'line' && /^token=/.test(event.data.text)).length >= 3, 10_000, 'three token lines');
    again.close();

    // The log really held them: what was hidden was there to hide.
    const logFile = readFileSync(`${s.dir}/.stack/logs/web.log`, 'utf8');
    expect(logFile).toContain(secret);
    expect(logFile).toContain(next);
    expect(d.seen.length).toBeGreaterThan(8);
    for (const body of [...d.seen, d.cli.stdout(), d.cli.stderr()]) {
      expect(body).not.toContain(secret);
      expect(body).not.toContain(next);
    }
  });

  it('a secret printed across the 64 KiB cut of a long line (stored in two pieces) shows no piece of it, nor when the tail begins at the second piece; a multi-line one printed whole shows none of its lines', async () => {
    const m = cleanup.marker(uniqueMarker());
    const secret = `s3cret-${m}-value`;
    const cert = [`BEGIN-${m}`, `MIIBline-one-${m}`, `MIIBline-two-${m}`, `END-${m}`];
    // The line's first 64 KiB end 7 characters into the secret.
    const print = "process.stdout.write('x'.repeat(65536 - 7) + process.env.API_TOKEN + 'y'.repeat(10) + '\\n')";
    const command = `printf '%s\\n' "$$PRIVATE_KEY"; node -e "${print}"; exec sleep ${m}`;
    const s = applied(`  long:\n    command:\n      - sh\n      - -c\n      - |\n        ${command}\n    env:\n      API_TOKEN: ${secret}\n      PRIVATE_KEY: "${cert.join('\\n')}"\n`);
    const log = `${s.dir}/.stack/logs/long.log`;
    await waitFor(() => readFileSync(log, 'utf8').includes('yyyyyyyyyy\n'), 10_000, 'the long line written');
    expect(readFileSync(log, 'utf8').replace(/\n\S+ o (?=\d+-value)/, '')).toContain(secret);
    expect(readFileSync(log, 'utf8')).toContain(cert[1]);
    const d = await openDashboard(cleanup, s.file);
    for (const lines of [10, 1]) {
      const logs = await d.sse(`/api/v1/logs?service=long&lines=${lines}&follow=0`);
      await logs.waitFor((event) => event.event === 'caught-up', 10_000, 'the tail');
      logs.close();
      const texts = logs.events.filter((event) => event.event === 'line').map((event) => event.data.text as string);
      expect(texts.at(-1), `lines=${lines}`).toBe('(sensitive)yyyyyyyyyy');
      if (lines === 10) expect(texts.slice(1, 5)).toEqual(['(sensitive)', '(sensitive)', '(sensitive)', '(sensitive)']);
    }
    // No three characters of the secret in a row, anywhere: at most two survive a cut. (Not
    // three digits of the marker alone: a pid or a time may hold them.)
    const pieces = Array.from({ length: secret.length - 2 }, (_, at) => secret.slice(at, at + 3)).filter((piece) => !/^\d+$/.test(piece));
    for (const body of d.seen) for (const piece of [...pieces, ...cert]) expect(body, piece).not.toContain(piece);
  });
});
