// Issue 30's figures of the framed logs (src/model/log-line.ts): `stack logs --since 1m` over a
// 100 MB log, ten services' 10 MB logs merged into one timeline, and what framing costs a
// service printing 50,000 lines a second (the log relay's CPU, lines lost). BENCH_ONLY=logs.
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { alive, NODE, ROOT, run, sleep, STACK, sweep, tempDir, timeCommand, waitUntil, writeFile } from '../lib.mjs';

const MB = 1_000_000;
const SINCE_LOG_BYTES = 100 * MB;
/** The last minute's lines, at the end of the 100 MB log: 100 a second over the last 30 s. */
const RECENT_LINES = 3000;
const RECENT_SPAN_MS = 30_000;
const MERGE_SERVICES = 10;
const MERGE_LOG_BYTES = 10 * MB;
const WRITER_RATE = 50_000;
const WRITER_SECONDS = 10;
const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());
const TIME = '/usr/bin/time';

// ---- framed logs, as the relay writes them ----------------------------------------------------

const PATHS = ['/api/items', '/api/users', '/health', '/static/app.js', '/api/orders/search', '/login'];

/** A request log's line, ~70 bytes of text (with its 30-byte frame, ~100 bytes a record). */
function text(i, salt) {
  const path = PATHS[(i + salt) % PATHS.length];
  return `INFO http GET ${path}/${(i * 7919 + salt) % 100000} 200 ${((i + salt) % 97) / 10}ms req=${((i * 2654435761 + salt) >>> 0).toString(16)} ua=curl/8.5`;
}

/** The frame's stamp of an epoch time in ms (fractions of a ms as microseconds). */
function stamp(ms) {
  const whole = Math.floor(ms);
  return `${new Date(whole).toISOString().slice(0, 20)}${String(whole % 1000).padStart(3, '0')}${String(Math.floor((ms - whole) * 1000)).padStart(3, '0')}Z`;
}

/**
 * Writes a framed log of about `bytes`: lines evenly spread from `from` to `to` (epoch ms),
 * stdout and a stderr line now and then, then `recent` lines spread over `recentFrom`..`recentTo`.
 */
function writeFramedLog(file, { bytes, from, to, salt = 0, recent = 0, recentFrom = 0, recentTo = 0 }) {
  const fd = openSync(file, 'w');
  const expected = Math.round(bytes / 100);
  let size = 0;
  let lines = 0;
  let parts = [];
  const flush = () => {
    writeSync(fd, parts.join(''));
    parts = [];
  };
  const add = (ms) => {
    const record = `${stamp(ms)} ${lines % 50 === 49 ? 'e' : 'o'} ${text(lines, salt)}\n`;
    parts.push(record);
    size += record.length;
    lines += 1;
    if (parts.length === 10_000) flush();
  };
  while (size < bytes) add(from + ((to - from) * lines) / expected);
  const old = lines;
  for (let j = 0; j < recent; j += 1) add(recentFrom + ((recentTo - recentFrom) * j) / recent);
  flush();
  closeSync(fd);
  return { lines, old, size };
}

/** A folder whose stack.yaml declares `names` (never started) and whose logs the bench writes. */
function logsFolder(prefix, names) {
  const dir = tempDir(prefix);
  mkdirSync(join(dir, '.stack', 'logs'), { recursive: true, mode: 0o700 });
  writeFile(dir, 'stack.yaml', `version: 1\nproject: bench\nservices:\n${names.map((name) => `  ${name}:\n    command: [sleep, "1"]\n`).join('')}`);
  return dir;
}

const logFile = (dir, name) => join(dir, '.stack', 'logs', `${name}.log`);
const stackLogs = (dir, ...args) => [NODE, STACK, '-f', join(dir, 'stack.yaml'), 'logs', ...args];

/** Runs a command with its output to /dev/null; its wall time in ms. */
function timeToNull(argv, env) {
  const sink = openSync('/dev/null', 'w');
  try {
    return timeCommand(argv, { stdio: ['ignore', sink, 'pipe'], env: { ...process.env, ...env } });
  } finally {
    closeSync(sink);
  }
}

/** The command under GNU time: { ms, cpu (user + system seconds), rssMiB }. */
function timeWithUsage(argv, dir) {
  if (!existsSync(TIME)) return { ms: timeToNull(argv), cpu: Number.NaN, rssMiB: Number.NaN };
  const report = join(dir, `time-${process.hrtime.bigint()}.txt`);
  const ms = timeToNull([TIME, '-f', '%U %S %M', '-o', report, ...argv]);
  const [user, system, kib] = readFileSync(report, 'utf8').trim().split('\n').at(-1).split(' ').map(Number);
  return { ms, cpu: user + system, rssMiB: kib / 1024 };
}

/** Bytes the command read from `file` (strace: every read/pread of a descriptor open on it); undefined without strace. */
function bytesReadFrom(argv, file, dir) {
  const trace = join(dir, `strace-${process.hrtime.bigint()}.txt`);
  const result = run(['strace', '-f', '-qq', '-e', 'trace=read,pread64,readv,preadv', '-y', '-o', trace, ...argv]);
  if (result.error || result.status !== 0 || !existsSync(trace)) return undefined;
  let bytes = 0;
  let calls = 0;
  for (const line of readFileSync(trace, 'utf8').split('\n')) {
    if (!line.includes(`<${file}>`)) continue;
    const returned = /= (\d+)$/.exec(line);
    if (!returned) continue;
    bytes += Number(returned[1]);
    calls += 1;
  }
  return { bytes, calls };
}

function countLines(text) {
  let count = 0;
  for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) count += 1;
  return count;
}

// ---- 1. --since 1m over 100 MB -----------------------------------------------------------------

/**
 * `stack logs web --since 1m` over a 100 MB log whose last 30 s hold RECENT_LINES lines, beside
 * `stack logs web -n 0` (the command's start, reading nothing), `tail -n RECENT_LINES` (reads from the end, knowing the count) and two that read it all:
 * `grep -c` of a fixed text (the floor of a whole read) and `awk '$1 >= since'` (the same
 * filter without bisecting). Each once a round, in turn; output to /dev/null.
 */
async function sinceFigures({ results, rounds }) {
  const scenario = 'logs --since 1m, 100 MB log';
  const dir = logsFolder('bench-logs-since-', ['web']);
  const file = logFile(dir, 'web');
  const generated = Date.now();
  const written = writeFramedLog(file, { bytes: SINCE_LOG_BYTES, from: generated - 3 * 3_600_000, to: generated - 3_600_000, recent: RECENT_LINES, recentFrom: generated - RECENT_SPAN_MS, recentTo: generated });
  console.log(`  ${scenario}: ${(written.size / MB).toFixed(1)} MB, ${written.lines} lines (${written.old} older than 1 h, ${RECENT_LINES} in the last ${RECENT_SPAN_MS / 1000} s)`);
  const since = stamp(Date.now() - 60_000);
  const shown = () => countLines(run(stackLogs(dir, 'web', '--since', '1m')).stdout);
  const check = (when) => {
    const count = shown();
    if (count !== RECENT_LINES) throw new Error(`stack logs --since 1m showed ${count} lines ${when}, not ${RECENT_LINES}`);
  };
  check('before the rounds');
  const subjects = [
    { name: 'stack logs --since 1m', argv: stackLogs(dir, 'web', '--since', '1m') },
    { name: 'stack logs -n 0 (start, nothing read)', argv: stackLogs(dir, 'web', '-n', '0') },
    { name: `tail -n ${RECENT_LINES}`, argv: ['tail', '-n', String(RECENT_LINES), file] },
    { name: 'grep -c (reads it all)', argv: ['grep', '-c', 'req=deadbeef', file], env: { LC_ALL: 'C' }, status: [0, 1] },
    { name: "awk '$1 >= since' (reads it all)", argv: ['awk', '-v', `since=${since}`, '$1 >= since', file], env: { LC_ALL: 'C' } },
  ];
  const values = new Map(subjects.map((subject) => [subject.name, []]));
  for (let round = 0; round < rounds; round += 1) {
    for (const subject of subjects) {
      const sink = openSync('/dev/null', 'w');
      try {
        const result = run(subject.argv, { stdio: ['ignore', sink, 'pipe'], env: { ...process.env, ...subject.env } });
        const ok = (subject.status ?? [0]).includes(result.status);
        values.get(subject.name).push(ok ? result.ms : Number.NaN);
        if (!ok) console.error(`  ${subject.name} exited ${result.status}: ${result.stderr}`);
      } finally {
        closeSync(sink);
      }
    }
  }
  check('after the rounds');
  for (const subject of subjects) results.record(scenario, subject.name, values.get(subject.name));
  results.ratio(scenario, 'stack logs -n 0', values.get(subjects[0].name), values.get(subjects[1].name));
  results.ratio(scenario, `tail -n ${RECENT_LINES}`, values.get(subjects[0].name), values.get(subjects[2].name));
  results.ratio(scenario, "awk '$1 >= since'", values.get(subjects[0].name), values.get(subjects[4].name));
  const read = existsSync('/usr/bin/strace') ? bytesReadFrom(stackLogs(dir, 'web', '--since', '1m'), file, dir) : undefined;
  if (read) {
    results.record(`${scenario}: bytes of the log read`, 'stack logs --since 1m', [read.bytes / 1024], 'KiB');
    results.record(`${scenario}: reads of the log`, 'stack logs --since 1m', [read.calls], 'calls');
    results.record(`${scenario}: bytes of the log read`, 'the whole log', [written.size / 1024], 'KiB');
  } else {
    results.skip(`${scenario}: bytes of the log read`, 'stack', 'strace is not installed');
  }
}

// ---- 2. ten services merged --------------------------------------------------------------------

/**
 * `stack logs a … j -n all` over ten 10 MB logs whose lines interleave in time (the same hour,
 * each service's lines at its own offsets), output to /dev/null; beside `sort -m` of the same
 * files by their first field (a merge of sorted files, the floor of merging them in one pass)
 * and `cat` of them (reading them). stack's CPU time and peak RSS from GNU time.
 */
async function mergeFigures({ results, rounds }) {
  const scenario = `logs merged, ${MERGE_SERVICES} × 10 MB`;
  const names = Array.from({ length: MERGE_SERVICES }, (_, i) => String.fromCharCode(97 + i));
  const dir = logsFolder('bench-logs-merge-', names);
  const end = Date.now() - 60_000;
  let lines = 0;
  for (const [index, name] of names.entries()) lines += writeFramedLog(logFile(dir, name), { bytes: MERGE_LOG_BYTES, from: end - 3_600_000 + index * 0.037, to: end - index * 0.053, salt: index }).lines;
  console.log(`  ${scenario}: ${lines} lines in all`);
  const files = names.map((name) => logFile(dir, name));
  const stackArgv = stackLogs(dir, ...names, '-n', 'all');
  const output = run(stackArgv, { maxBuffer: 1024 * 1024 * 1024 });
  const count = countLines(output.stdout);
  if (output.status !== 0 || count !== lines) throw new Error(`stack logs -n all gave ${count} lines (exit ${output.status}), not ${lines}: ${output.stderr}`);
  const subjects = [
    { name: 'stack logs a…j -n all', measure: () => timeWithUsage(stackArgv, dir) },
    { name: 'sort -m -k1,1 (merge of sorted files)', measure: () => ({ ms: timeToNull(['sort', '-m', '-s', '-k1,1', ...files], { LC_ALL: 'C' }) }) },
    { name: 'cat (reads them)', measure: () => ({ ms: timeToNull(['cat', ...files]) }) },
  ];
  const values = new Map(subjects.map((subject) => [subject.name, []]));
  for (let round = 0; round < rounds; round += 1) {
    for (const subject of subjects) {
      try {
        values.get(subject.name).push(subject.measure());
      } catch (error) {
        console.error(`  ${subject.name}, round ${round + 1}: ${error.message}`);
        values.get(subject.name).push({ ms: Number.NaN });
      }
    }
  }
  for (const subject of subjects) results.record(scenario, subject.name, values.get(subject.name).map((value) => value.ms));
  const stackRuns = values.get(subjects[0].name);
  results.record(`${scenario}: CPU (user + system)`, 'stack logs a…j -n all', stackRuns.map((value) => value.cpu * 1000));
  results.record(`${scenario}: peak RSS`, 'stack logs a…j -n all', stackRuns.map((value) => value.rssMiB), 'MiB');
  results.ratio(scenario, 'sort -m', stackRuns.map((value) => value.ms), values.get(subjects[1].name).map((value) => value.ms));
}

// ---- 3. a service printing 50,000 lines a second -----------------------------------------------

function compileWriter() {
  const dir = tempDir('bench-log-writer-');
  const binary = join(dir, 'log-writer');
  const result = run(['cc', '-O2', '-o', binary, join(ROOT, 'bench', 'log-writer.c')]);
  if (result.error || result.status !== 0) return undefined;
  return binary;
}

/** CPU ticks (user + system) of a process, undefined once it is gone. */
function ticksOf(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

/** The log relay (its name is stack-log-relay) that holds `log` open. */
function relayOf(log) {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== 'stack-log-relay') continue;
      for (const fd of readdirSync(`/proc/${entry}/fd`)) if (readlinkSync(`/proc/${entry}/fd/${fd}`) === log) return Number(entry);
    } catch {
      // gone, or not ours to read
    }
  }
  return undefined;
}

/** Lines of the writer in a log: how many, and whether `seq=` runs 0, 1, 2, … without a gap. */
function writerLines(file, framed) {
  const text = readFileSync(file, 'latin1');
  let count = 0;
  let inOrder = true;
  let stamped = true;
  let lastStamp = '';
  for (let start = 0; start < text.length; ) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const body = framed ? text.slice(start + 30, end) : text.slice(start, end);
    if (!framed || text[start + 28] === 'o') {
      if (!body.startsWith(`seq=${count} `)) inOrder = false;
      if (framed) {
        const at = text.slice(start, start + 27);
        if (at < lastStamp) stamped = false;
        lastStamp = at;
      }
      count += 1;
    }
    start = end + 1;
  }
  return { count, inOrder, stamped };
}

/**
 * The writer (bench/log-writer.c: WRITER_RATE lines a second, a write() each) for WRITER_SECONDS,
 * once as a service started by `stack apply` (its output through the log relay) and once with
 * its output straight to a file, in turn each round. For the service: the relay's CPU
 * (utime + stime from /proc/<relay>/stat, sampled every 100 ms until it ends; the writer idles
 * 1 s before it exits, so the last sample has it all) over the writer's wall time, and the lines
 * in the log (each `seq=` in order, every stamp not earlier than the one before).
 */
async function timestampFigures({ results, rounds }) {
  const scenario = `${WRITER_RATE / 1000}k lines/s for ${WRITER_SECONDS} s`;
  const writer = compileWriter();
  if (!writer) return results.skip(scenario, 'all', 'no C compiler (cc) to build bench/log-writer.c');
  const expected = WRITER_RATE * WRITER_SECONDS;
  const relayCpu = [];
  const writerCpuService = [];
  const writerCpuFile = [];
  const lostService = [];
  const lostFile = [];
  const lagService = [];
  const lagFile = [];
  for (let round = 0; round < rounds; round += 1) {
    // Through stack.
    const dir = tempDir('bench-logs-writer-');
    const report = join(dir, 'report.json');
    try {
      writeFile(dir, 'stack.yaml', `version: 1\nproject: bench\nservices:\n  writer:\n    command: ["${writer}", "${WRITER_RATE}", "${WRITER_SECONDS}", "${report}"]\n`);
      const log = logFile(dir, 'writer');
      timeCommand([NODE, STACK, '-f', join(dir, 'stack.yaml'), 'apply', '--yes']);
      let relay;
      await waitUntil(() => (relay = relayOf(log)), { timeoutMs: 5000, what: 'the log relay' });
      const first = ticksOf(relay);
      let last = first;
      while (alive(relay)) {
        last = ticksOf(relay) ?? last;
        await sleep(100);
      }
      await waitUntil(() => existsSync(report), { timeoutMs: 5000, what: "the writer's report" });
      const written = JSON.parse(readFileSync(report, 'utf8'));
      const lines = writerLines(log, true);
      if (!lines.inOrder || !lines.stamped) throw new Error(`the log's lines are ${lines.inOrder ? '' : 'out of order'} ${lines.stamped ? '' : 'stamped out of order'}`);
      relayCpu.push(((last - first) / TICKS_PER_SECOND / written.seconds) * 100);
      writerCpuService.push((written.cpu / written.seconds) * 100);
      lostService.push(written.lines - lines.count);
      lagService.push(written.worstLagMs);
    } catch (error) {
      console.error(`  ${scenario}, stack, round ${round + 1}: ${error.message}`);
      relayCpu.push(Number.NaN);
    } finally {
      await sweep();
    }
    // Straight to a file.
    const plain = tempDir('bench-logs-writer-file-');
    try {
      const out = join(plain, 'out.log');
      const fd = openSync(out, 'w');
      try {
        timeCommand([writer, String(WRITER_RATE), String(WRITER_SECONDS), join(plain, 'report.json')], { stdio: ['ignore', fd, 'pipe'] });
      } finally {
        closeSync(fd);
      }
      const written = JSON.parse(readFileSync(join(plain, 'report.json'), 'utf8'));
      writerCpuFile.push((written.cpu / written.seconds) * 100);
      lostFile.push(written.lines - writerLines(out, false).count);
      lagFile.push(written.worstLagMs);
    } catch (error) {
      console.error(`  ${scenario}, file, round ${round + 1}: ${error.message}`);
      writerCpuFile.push(Number.NaN);
    }
  }
  results.record(`${scenario}: log relay CPU`, 'stack-log-relay', relayCpu, '% core');
  results.record(`${scenario}: writer's own CPU`, 'through stack (pipe → relay)', writerCpuService, '% core');
  results.record(`${scenario}: writer's own CPU`, 'straight to a file', writerCpuFile, '% core');
  results.record(`${scenario}: lines lost of ${expected}`, 'through stack', lostService, 'lines');
  results.record(`${scenario}: lines lost of ${expected}`, 'straight to a file', lostFile, 'lines');
  results.record(`${scenario}: writer's worst lag behind its pace`, 'through stack', lagService);
  results.record(`${scenario}: writer's worst lag behind its pace`, 'straight to a file', lagFile);
}

export async function logsScenario(ctx) {
  for (const part of [sinceFigures, mergeFigures, timestampFigures]) {
    try {
      await part(ctx);
    } catch (error) {
      console.error(`  logs: ${part.name} failed: ${error.stack ?? error}`);
      ctx.results.skip('logs', part.name, error.message);
    } finally {
      await sweep();
    }
  }
}
