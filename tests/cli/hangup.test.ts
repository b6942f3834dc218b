// The hang-up hub (pure logic) and the progress view's hand-over to other writers.
import { describe, expect, it } from 'vitest';
import { Hangup } from '../../src/cli/hangup.js';
import { ProgressView } from '../../src/cli/progress.js';

describe('Hangup', () => {
  it('tells every listener once, says whether anyone listened, and tells a late listener at once', async () => {
    const hangup = new Hangup();
    const heard: string[] = [];
    const stop = hangup.listen(() => heard.push('gone'));
    hangup.listen(() => heard.push('also'));
    stop();
    expect(hangup.fire()).toBe(true);
    expect(hangup.fire()).toBe(true);
    expect(heard).toEqual(['also']);
    expect(hangup.hungUp).toBe(true);
    const late = new Promise<void>((resolve) => hangup.listen(resolve));
    await expect(late).resolves.toBeUndefined();
  });

  it('fire without a listener says so (the entry point then exits 129)', () => {
    expect(new Hangup().fire()).toBe(false);
  });
});

describe('ProgressView.stopLive', () => {
  it('clears the live lines from the start of the line, then prints plain lines without redrawing', () => {
    let written = '';
    const stream = { write: (text: string) => ((written += text), true) } as unknown as NodeJS.WriteStream;
    const view = new ProgressView(stream, true, false);
    view.onProgress({ type: 'begin', service: 'slow', ops: ['install', 'start'] });
    expect(written).toMatch(/slow starting…/);
    written = '';
    view.stopLive();
    expect(written).toBe('\r\x1b[1A\x1b[J');
    written = '';
    view.onProgress({ type: 'end', outcome: { service: 'slow', ops: ['install', 'start'], status: 'interrupted', durationMs: 5, note: 'not yet ready' } });
    expect(written).toBe('! slow interrupted: not yet ready\n');
  });
});
