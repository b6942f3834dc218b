import stringWidth from 'string-width';
import { describe, expect, it } from 'vitest';
import { fit, formatBytes, formatCpu, renderFrame, type TopRow } from '../../src/cli/top/frame.js';
import { initialView, type View } from '../../src/cli/top/view.js';
import { splitKeys } from '../../src/cli/top/screen.js';

const NOW = Date.parse('2026-01-01T12:00:00Z');

function row(name: string, extra: Partial<TopRow> = {}): TopRow {
  return {
    name,
    provider: 'process',
    enabled: true,
    desired: 'running',
    observed: 'running',
    pid: 4242,
    since: new Date(NOW - 95_000).toISOString(),
    restarts: 0,
    health: 'none',
    ports: [8080],
    ...extra,
  };
}

interface FrameOf {
  rows?: TopRow[];
  /** Index of the selected row. */
  selected?: number;
  logLines?: string[];
  width?: number;
  height?: number;
  color?: boolean;
  view?: Partial<View>;
}

/** A frame of `rows` (api and worker unless said) with the view as a person left it. */
function frame(input: FrameOf = {}): string[] {
  const rows = input.rows ?? [row('api'), row('worker')];
  const view = { ...initialView(rows), selected: rows[input.selected ?? 0]?.name, ...input.view };
  const log = (input.logLines ?? []).map((text) => ({ text }));
  return renderFrame({ view, log, width: input.width ?? 100, height: input.height ?? 30, color: input.color ?? false, now: NOW, title: 'stack top · demo' });
}

// Visible width: without the colour codes.
// eslint-disable-next-line no-control-regex -- SGR sequences are what is removed
const visible = (line: string) => [...line.replace(/\u001b\[[0-9;]*m/g, '')].length;

describe('the frame of stack top', () => {
  it.each([
    [100, 30],
    [80, 24],
    [200, 50],
    [40, 10],
  ])('is exactly %i×%i, with colour and without', (width, height) => {
    for (const color of [false, true]) {
      const lines = frame({ width, height, color, logLines: ['a log line', 'x'.repeat(500)] });
      expect(lines).toHaveLength(height);
      for (const line of lines) expect(visible(line)).toBe(width);
    }
  });

  it('shows every column on a wide terminal, with CPU and memory when measured', () => {
    const lines = frame({ rows: [row('api', { cpu: 12.34, memory: 50 * 1024 * 1024 }), row('worker', { cpu: null, memory: null })], width: 160 });
    expect(lines[1]).toMatch(/NAME +PROVIDER +DESIRED +OBSERVED +PID +UPTIME +RESTARTS +CPU +MEM +HEALTH +PORTS/);
    expect(lines[2]).toMatch(/api +process +running +running +4242 +1m35s +0 +12% +50M +- +8080/);
    expect(lines[3]).toMatch(/worker .* - +- +- +8080/);
  });

  it('drops the least needed columns first down to 80 columns, keeping name, state and health', () => {
    const rows = [row('a-service-with-a-long-name', { health: 'healthy', healthAt: new Date(NOW - 3000).toISOString(), ports: ['127.0.0.1:8080', 9090], cpu: 1, memory: 1 })];
    const header = frame({ rows, width: 80 })[1] ?? '';
    expect(header).toMatch(/NAME .*OBSERVED .*UPTIME .*HEALTH/);
    expect(header).not.toContain('PORTS');
    expect(header).not.toContain('PROVIDER');
    expect(frame({ rows, width: 80 })[2]).toContain('healthy 3s ago');
  });

  it('cuts a name too long for its column with …', () => {
    const lines = frame({ rows: [row('n'.repeat(40))] });
    expect(lines[2]).toContain(`${'n'.repeat(23)}…`);
  });

  it('marks the selected row with > without colour, and in inverse with it', () => {
    const lines = frame({ selected: 1 });
    expect(lines[2]?.startsWith('  api')).toBe(true);
    expect(lines[3]?.startsWith('> worker')).toBe(true);
    expect(lines[4]).toContain('log: worker');
    expect(frame({ selected: 1, color: true })[3]).toContain('\u001b[7m');
  });

  it('keeps the selection on screen when the rows do not all fit', () => {
    const rows = Array.from({ length: 40 }, (_, index) => row(`svc-${index}`));
    const lines = frame({ rows, selected: 39, height: 24 });
    expect(lines.some((line) => line.startsWith('> svc-39'))).toBe(true);
    expect(lines.some((line) => line.includes('svc-0 '))).toBe(false);
  });

  it('has no escape sequence at all without colour (NO_COLOR)', () => {
    const lines = frame({ rows: [row('api', { observed: 'crashed', detail: 'crash-looping: gave up after 5 restarts', pid: null, since: null })], logLines: ['\u001b[31mred\u001b[0m text'] });
    expect(lines.join('\n')).not.toContain('\u001b');
    expect(lines.join('\n')).toContain('red text');
  });

  it("says why a service that does not run is not running, on its row", () => {
    const lines = frame({ rows: [row('api', { observed: 'crashed', detail: 'crash-looping: gave up after 5 restarts', pid: null, since: null })], width: 140 });
    expect(lines[2]).toMatch(/api .*crashed .*crash-looping: gave up after 5 restarts/);
  });

  it('shows the last log lines that fit, and the keys with help', () => {
    const logLines = Array.from({ length: 50 }, (_, index) => `line ${index}`);
    const lines = frame({ logLines });
    expect(lines.at(-2)?.trimEnd()).toBe('line 49');
    expect(lines.some((line) => line.trimEnd() === 'line 10')).toBe(false);
    expect(lines.some((line) => line.trimEnd() === 'line 26')).toBe(true);
    const help = frame({ view: { help: true } }).join('\n');
    expect(help).toContain('── keys');
    expect(help).toMatch(/q {2}Ctrl\+C +quit/);
  });

  it('cuts a long title before its badges: at 80 columns a pending plan is still said in full', () => {
    const view = { ...initialView([row('api')]), selected: 'api', pending: 1 };
    const title = 'stack top · toptest · no controller: observed every second';
    const [line] = renderFrame({ view, log: [], width: 80, height: 24, color: false, now: NOW, title });
    expect(line).toBe(' stack top · toptest · no controll… · stack.yaml differs for 1 service (p: plan)');
    // Room enough: nothing is cut.
    expect(renderFrame({ view, log: [], width: 120, height: 24, color: false, now: NOW, title })[0]?.trimEnd()).toBe(` ${title} · stack.yaml differs for 1 service (p: plan)`);
  });

  it('keeps the rows a filter matches', () => {
    const lines = frame({ view: { filter: 'work' } });
    expect(lines[0]).toContain('filter: work');
    expect(lines[2]).toMatch(/^> worker/);
    expect(frame({ view: { filter: 'nothing' } })[2]).toContain('(no service matches the filter)');
  });
});

describe('the pieces', () => {
  it('fits text to a width', () => {
    expect(fit('abc', 5)).toBe('abc  ');
    expect(fit('abcdef', 4)).toBe('abc…');
    expect(fit('abc', 0)).toBe('');
  });

  it('formats CPU and memory, or - when not measured', () => {
    expect([formatCpu(undefined), formatCpu(null), formatCpu(0.25), formatCpu(153.7)]).toEqual(['-', '-', '0.3%', '154%']);
    expect([formatBytes(null), formatBytes(512), formatBytes(1536), formatBytes(300 * 1024 * 1024)]).toEqual(['-', '512B', '1.5K', '300M']);
  });

  it('splits keys typed together, an arrow being one key', () => {
    expect(splitKeys('jj\u001b[Bq')).toEqual(['j', 'j', '\u001b[B', 'q']);
  });
});

describe('fit, on what a terminal draws', () => {
  it('counts a wide character as two columns and cuts between characters, never inside one', () => {
    expect(fit('日本語のログ', 8)).toBe('日本語… ');
    expect(fit('ok 👍 done', 6)).toBe('ok 👍…');
    expect(fit('e\u0301te', 4)).toBe('e\u0301te ');
    expect(fit('plain', 3)).toBe('pl…');
  });

  it('keeps every line of a frame of wide log lines at the terminal width', () => {
    const lines = frame({ width: 80, height: 24, logLines: ['日本語'.repeat(40), '👍'.repeat(60), 'mixed 漢字 and text '.repeat(10)] });
    for (const line of lines) expect(stringWidth(line)).toBe(80);
  });
});

describe('what reaches the terminal', () => {
  it('no escape sequence or control character from a row, a log line or the title (C0, DEL, C1, OSC, CSI)', () => {
    const hostile = 'x\u001b]0;pwned\u0007\u001b[2J\u009b2J\u001bPq#\u001b\\\u0007\u0000\u007f\ny\tz';
    const rows = [row('api', { observed: 'crashed', pid: null, detail: hostile, health: hostile })];
    const lines = renderFrame({ view: { ...initialView(rows), selected: 'api' }, log: [{ text: hostile }], width: 120, height: 20, color: false, now: NOW, title: `stack top · ${hostile}` });
    for (const line of lines) {
      // eslint-disable-next-line no-control-regex -- control characters are what must be absent
      expect(line).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
      expect(stringWidth(line)).toBe(120);
    }
    expect(lines.join('\n')).toContain('xy  z');
  });

  it('--once shows every row, however few lines the terminal has', () => {
    const rows = Array.from({ length: 40 }, (_, index) => row(`svc${index}`));
    const lines = renderFrame({ view: initialView(rows), log: [], width: 100, height: 10, color: false, now: NOW, title: 't', tableOnly: true });
    expect(lines).toHaveLength(42);
    expect(lines.at(-1)).toMatch(/^ {2}svc39 /);
  });
});
