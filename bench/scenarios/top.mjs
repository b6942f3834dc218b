// Issue 26's figures of `stack top` (src/cli/top): the CPU of an idle view of 50 services, and a key
// press to the redrawn screen, each on a real pseudo-terminal, over a controller and without one;
// `pm2 monit` over 50 pm2 processes beside the CPU. BENCH_ONLY=top.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { alive, countSleeps, endPid, NODE, now, run, SLEEP_MARK, sleep, STACK, startTracked, sweep, tempDir, timeCommand, track, waitUntil } from '../lib.mjs';

const ROWS = 30;
const COLUMNS = 120;
/** After its first frame, a view settles (its code cache written, its first collections) before it is measured. */
const SETTLE_MS = 3000;
const WINDOW_MS = 10_000;
/** Key presses in all, over the rounds. */
const PRESSES = 30;
const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());
/** How stack top begins every frame (src/cli/top/screen.ts): the cursor home, then the frame's lines. */
const HOME = '\u001b[H';

const sleeps = (n, prefix) => Array.from({ length: n }, (_, i) => `  ${prefix}${i}:\n    command: [sleep, "${SLEEP_MARK}"]\n`).join('');
const quote = (word) => `'${word.replaceAll("'", "'\\''")}'`;
// eslint-disable-next-line no-control-regex -- escape sequences are what is removed
const plain = (text) => text.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');
/** A frame is whole once it has all its lines and the last is as wide as the terminal (the renderer pads every line). */
const whole = (text) => {
  const lines = text.split('\r\n');
  return lines.length >= ROWS && [...plain(lines[ROWS - 1])].length >= COLUMNS;
};
/** The selected service of a frame: its row starts with `> `. */
const selectedIn = (text) => /(?:^|\r\n)> (\S+)/.exec(text)?.[1];

/**
 * A command on a pseudo-terminal of its own, ROWS × COLUMNS: util-linux `script` opens it and
 * relays it to pipes the bench holds (keys are written to its stdin, the screen read from its
 * stdout). stack top's frames are cut out of the bytes as they arrive, each with the time its
 * last byte came.
 */
class Terminal {
  output = 0;
  last = '';
  pending = '';
  waiters = new Set();

  /** `frames`: whether the output is cut into stack top's frames (pm2 monit's is only counted). */
  constructor(argv, { cwd, env, frames = true }) {
    const line = `stty rows ${ROWS} cols ${COLUMNS} && exec ${argv.map(quote).join(' ')}`;
    this.script = startTracked(['script', '-qfec', line, '/dev/null'], { cwd, env: { ...env, SHELL: '/bin/sh', TERM: 'xterm-256color' }, stdio: ['pipe', 'pipe', 'ignore'] });
    this.script.stdin.on('error', () => {});
    this.script.stdout.setEncoding('utf8');
    this.script.stdout.on('data', (chunk) => (frames ? this.received(chunk, now()) : (this.output += chunk.length)));
    this.script.once('exit', () => {
      for (const waiter of this.waiters) waiter.reject(new Error(`the terminal closed; its last frame:\n${this.last}`));
    });
  }

  received(chunk, at) {
    this.output += chunk.length;
    this.pending += chunk;
    const parts = this.pending.split(HOME);
    // What comes before the first HOME is no frame (the switch to the alternate screen).
    for (let index = 1; index < parts.length; index += 1) {
      const done = index < parts.length - 1 || whole(parts[index]);
      if (done) this.frame(parts[index], at);
      else this.pending = HOME + parts[index];
    }
    if (parts.length === 1 || whole(parts.at(-1))) this.pending = this.pending.endsWith('\u001b') ? '\u001b' : '';
  }

  frame(raw, at) {
    this.last = plain(raw);
    for (const waiter of this.waiters) {
      if (!waiter.test(this.last)) continue;
      this.waiters.delete(waiter);
      waiter.resolve({ text: this.last, at });
    }
  }

  /** The first whole frame from now on that `test` accepts (its text, without escape sequences), and when it arrived. */
  nextFrame(test, what, timeoutMs = 15_000) {
    return new Promise((resolve, reject) => {
      const waiter = { test, resolve, reject };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`timed out waiting for ${what}; the last frame:\n${this.last}`));
      }, timeoutMs);
      waiter.resolve = (value) => (clearTimeout(timer), resolve(value));
      waiter.reject = (error) => (clearTimeout(timer), reject(error));
      this.waiters.add(waiter);
    });
  }

  write(keys) {
    this.script.stdin.write(keys);
  }

  /** The command's pid: `script`'s child (its shell execs the command). */
  async programPid(marker) {
    let pid;
    await waitUntil(() => (pid = [...processTable()].find(([, row]) => row.ppid === this.script.pid && argvOf(row.pid).includes(marker))?.[0]), { what: `${marker} on the terminal` });
    track(pid);
    return pid;
  }

  /** `q` (both views quit on it); whatever is still there a second later is ended by pid. */
  async close(pid) {
    this.write('q');
    this.script.stdin.end();
    await waitUntil(() => !alive(this.script.pid), { timeoutMs: 1000, what: 'the view to quit' }).catch(() => undefined);
    if (pid) await endPid(pid);
    await endPid(this.script.pid);
  }
}

function argvOf(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return [];
  }
}

/** Every process's parent and CPU ticks (user + system: its own and its waited-for children's), from /proc/<pid>/stat. */
function processTable() {
  const table = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // After the command's name: the state (field 3), the parent (4), ..., utime, stime, cutime, cstime (14–17).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    table.set(Number(entry), { pid: Number(entry), ppid: Number(fields[1]), ticks: fields.slice(11, 15).reduce((sum, field) => sum + Number(field), 0) });
  }
  return table;
}

/** The CPU ticks of a process and of every descendant alive now (one that ended is in its parent's cutime and cstime). */
function treeTicks(pid) {
  const table = processTable();
  const of = (parent) => (table.get(parent)?.ticks ?? 0) + [...table.values()].filter((row) => row.ppid === parent).reduce((sum, row) => sum + of(row.pid), 0);
  return of(pid);
}

/** The process's (and its children's) CPU over WINDOW_MS, as % of one core. */
async function idleCpu(pid) {
  const began = now();
  const before = treeTicks(pid);
  await sleep(WINDOW_MS);
  const ticks = treeTicks(pid) - before;
  const seconds = (now() - began) / 1000;
  if (!alive(pid)) throw new Error('the view ended during its idle window');
  return ((ticks / TICKS_PER_SECOND) / seconds) * 100;
}

/**
 * `j` and `k` in turn, each at a random moment (150–350 ms after the last redraw, so at any phase
 * of the view's own second); each is timed from the write to the arrival of the first whole frame
 * whose selected row is another one.
 */
async function keyPresses(terminal, count) {
  const gaps = [];
  for (let press = 0; press < count; press += 1) {
    await sleep(150 + Math.random() * 200);
    const key = press % 2 === 0 ? 'j' : 'k';
    const before = selectedIn(terminal.last);
    const redrawn = terminal.nextFrame((text) => selectedIn(text) !== undefined && selectedIn(text) !== before, `\`${key}\` to move the selection from ${before}`, 5000);
    const pressedAt = now();
    terminal.write(key);
    gaps.push((await redrawn).at - pressedAt);
  }
  return gaps;
}

/** The view on `terminal` once `drawn` resolves: { terminal, pid }; closed when it does not. */
async function opened(terminal, marker, drawn) {
  let pid;
  try {
    pid = await terminal.programPid(marker);
    await drawn();
    return { terminal, pid };
  } catch (error) {
    await terminal.close(pid);
    throw error;
  }
}

/** `stack top` in `dir`: ready once a whole frame says where its rows come from and its selected row runs. */
function stackTop(label, dir, overController) {
  return {
    label,
    keys: true,
    async open() {
      const terminal = new Terminal([NODE, STACK, '-f', join(dir, 'stack.yaml'), 'top'], { cwd: dir, env: process.env });
      const source = (text) => !text.split('\r\n')[0].includes('no controller') === overController;
      const ready = (text) => source(text) && /(?:^|\r\n)> .*\brunning\b/.test(text);
      return opened(terminal, STACK, () => terminal.nextFrame(ready, `a first frame ${overController ? 'over the controller' : 'without a controller'} with its selected service running`));
    },
  };
}

/** `pm2 monit` over the pm2 daemon of `dir`: ready once its screen names a process (blessed draws changes, not frames). */
function pm2Monit(pm2, dir) {
  return {
    label: 'pm2 monit',
    keys: false,
    async open() {
      const { argv, env } = pm2.monitCommand(dir);
      const terminal = new Terminal(argv, { cwd: dir, env, frames: false });
      return opened(terminal, 'monit', () => waitUntil(() => terminal.output > 2000, { timeoutMs: 15_000, what: 'pm2 monit to draw' }));
    },
  };
}

/**
 * 50 sleeps under `stack watch`, 50 more applied without a controller (another folder) and, when
 * pm2 is there, 50 pm2 processes; each round opens every view in turn on a terminal of its own:
 * its CPU over WINDOW_MS once settled, then (stack top) key presses.
 */
export async function topScenario({ results, rounds, stack, peers }) {
  const pm2 = peers.find((peer) => peer.name === 'pm2' && peer.monitCommand);
  const controlled = tempDir('bench-top-controlled-');
  const daemonless = tempDir('bench-top-daemonless-');
  const pm2Dir = pm2 && tempDir('bench-top-pm2-');
  if (!pm2) results.skip('idle view CPU, 50 services', 'pm2 monit', 'pm2 is not installed');
  try {
    if (pm2) await pm2.controllerPid(pm2Dir, 50);
    timeCommand([NODE, STACK, '-f', stack.sleepsFile(daemonless, 50), 'apply', '--yes', '--parallel', '8']);
    const all = pm2 ? 150 : 100;
    await stack.watch(controlled, sleeps(50, 'c'), () => countSleeps() === all && existsSync(join(controlled, '.stack', 'api.sock')));
    const views = [stackTop('stack top, controller', controlled, true), stackTop('stack top, no controller', daemonless, false), ...(pm2 ? [pm2Monit(pm2, pm2Dir)] : [])];
    const cpu = new Map(views.map((view) => [view.label, []]));
    const keys = new Map(views.map((view) => [view.label, []]));
    const perRound = Math.ceil(PRESSES / rounds);
    for (let round = 0; round < rounds; round += 1) {
      for (const view of views) {
        let open;
        try {
          open = await view.open();
          await sleep(SETTLE_MS);
          cpu.get(view.label).push(await idleCpu(open.pid));
          if (view.keys) keys.get(view.label).push(...(await keyPresses(open.terminal, perRound)));
        } catch (error) {
          console.error(`  top round ${round + 1}, ${view.label}: ${error.message}`);
          if (cpu.get(view.label).length === round) cpu.get(view.label).push(Number.NaN);
        } finally {
          await open?.terminal.close(open.pid);
        }
      }
    }
    for (const view of views) results.record('idle view CPU, 50 services', view.label, cpu.get(view.label), '% core');
    if (pm2) results.ratio('idle view CPU, 50 services, stack top (controller)', 'pm2 monit', cpu.get('stack top, controller'), cpu.get('pm2 monit'));
    results.record('top: key → redrawn screen', 'controller', keys.get('stack top, controller'));
    results.record('top: key → redrawn screen', 'no controller', keys.get('stack top, no controller'));
  } finally {
    await stack.cleanup(controlled);
    run([NODE, STACK, '-f', join(daemonless, 'stack.yaml'), 'down', '--yes', '--parallel', '8']);
    if (pm2) await pm2.cleanup(pm2Dir);
    await sweep();
  }
}
