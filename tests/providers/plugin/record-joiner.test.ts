import { describe, expect, it } from 'vitest';
import { frameLine } from '../../../src/model/log-line.js';
import { recordJoiner } from '../../../src/providers/plugin/output.js';

const at = '2026-12-05T10:00:00.000000Z';
const record = (text: string, stream: 'stdout' | 'stderr', continues = false) => frameLine({ text, stream, at, ...(continues ? { continues: true as const } : {}) }).slice(0, -1);

describe('recordJoiner: a command\'s framed output as the lines it printed', () => {
  it('joins the pieces of a long line per stream, cuts it past the limit with how much was left out, and leaves the frame out', () => {
    const lines: string[] = [];
    const join = recordJoiner((line) => lines.push(line), 10);
    join(record('aaaaaaaa', 'stdout', true));
    join(record('short err', 'stderr'));
    join(record('aaaaaaaa', 'stdout', true));
    join(record('aa', 'stdout'));
    join(record('plain', 'stdout'));
    join('a bare line from before framing');
    expect(lines).toEqual(['short err', 'aaaaaaaaaa … [8 more characters of this line not shown]', 'plain', 'a bare lin … [21 more characters of this line not shown]']);
  });
});
