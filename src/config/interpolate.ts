/**
 * Compose-compatible interpolation of `${VAR}` in the string values of stack.yaml: `$VAR`,
 * `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?message}`, `${VAR?message}`,
 * `${VAR:+alt}`, `${VAR+alt}`, nested defaults, and `$$` for a literal `$`. Pure: the variables
 * are passed in.
 */

import { quote } from './issues.js';

/** Why a string could not be interpolated. */
export type InterpolationError =
  | { kind: 'required'; name: string; message: string }
  | { kind: 'syntax'; message: string };

export interface InterpolatedString {
  value: string;
  /** Variables whose value went into `value`, in order of use. */
  used: string[];
  /** Variables written bare (`$NAME`, `${NAME}`) that are not set, so became empty: compose warns of these. */
  unset: string[];
  errors: InterpolationError[];
}

type Lookup = (name: string) => string | undefined;

const NAME_START = /[A-Za-z_]/;
const NAME_PART = /[A-Za-z0-9_]/;
const REFERENCE_PART = /[A-Za-z0-9_.-]/;
const OPERATORS = [':-', ':?', ':+', '-', '?', '+'] as const;
type Operator = (typeof OPERATORS)[number];

/**
 * Interpolates one string. A `$` not followed by `$`, `{` or a name stays as written (so a
 * regex's `$` anchor needs no escaping); unset variables without an operator become empty, as
 * in compose.
 */
export function interpolateString(text: string, lookup: Lookup): InterpolatedString {
  if (!text.includes('$')) return { value: text, used: [], unset: [], errors: [] };
  const scan = new Scanner(text, lookup);
  const value = scan.expand(0, false, true).value;
  return { value, used: [...new Set(scan.used)], unset: [...new Set(scan.unset)], errors: scan.errors };
}

class Scanner {
  readonly used: string[] = [];
  readonly unset: string[] = [];
  readonly errors: InterpolationError[] = [];

  constructor(
    private readonly text: string,
    private readonly lookup: Lookup,
  ) {}

  /** Expands from `start` to the end, or to the `}` closing a default when `nested`. */
  expand(start: number, nested: boolean, active: boolean): { value: string; end: number } {
    const { text } = this;
    let out = '';
    let index = start;
    while (index < text.length) {
      const char = text[index] as string;
      if (nested && char === '}') return { value: out, end: index };
      if (char !== '$') {
        out += char;
        index += 1;
        continue;
      }
      const next = text[index + 1] ?? '';
      if (next === '$') {
        out += '$';
        index += 2;
      } else if (next === '{') {
        const braced = this.braced(index, active);
        out += braced.value;
        index = braced.end;
      } else if (NAME_START.test(next)) {
        let end = index + 1;
        while (end < text.length && NAME_PART.test(text[end] as string)) end += 1;
        out += this.bareValueOf(text.slice(index + 1, end), active);
        index = end;
      } else {
        out += '$';
        index += 1;
      }
    }
    if (nested) this.errors.push({ kind: 'syntax', message: `unclosed "\${" in ${quote(text)}: add the closing "}"` });
    return { value: out, end: index };
  }

  /** `${...}` starting at `start` (the `$`); returns the value and the index after its `}`. */
  private braced(start: number, active: boolean): { value: string; end: number } {
    const { text } = this;
    let index = start + 2;
    while (index < text.length && NAME_PART.test(text[index] as string)) index += 1;
    // `${ports.web.http}`: a named port (config/named-ports.ts), looked up whole like a variable.
    if (text.slice(start + 2, index) === 'ports' && text[index] === '.') while (index < text.length && REFERENCE_PART.test(text[index] as string)) index += 1;
    const name = text.slice(start + 2, index);
    const operator = OPERATORS.find((candidate) => text.startsWith(candidate, index));
    const closes = text[index] === '}';
    if (name === '' || !NAME_START.test(name[0] as string) || (!closes && operator === undefined)) {
      const close = text.indexOf('}', start);
      const shown = close < 0 ? text.slice(start) : text.slice(start, close + 1);
      const why = close < 0 ? 'it is never closed with "}"' : 'expected ${NAME}, ${NAME:-default}, ${NAME:?message} or $$ for a literal $';
      this.errors.push({ kind: 'syntax', message: `invalid interpolation ${quote(shown)}: ${why}` });
      return { value: '', end: close < 0 ? text.length : close + 1 };
    }
    if (closes) return { value: this.bareValueOf(name, active), end: index + 1 };
    const op = operator as Operator;
    const set = this.lookup(name);
    const useWord = chooseWord(op, set);
    const word = this.expand(index + op.length, true, active && useWord);
    const end = Math.min(word.end + 1, text.length);
    if (!useWord) return { value: op.endsWith('+') ? '' : (this.valueOf(name, active) ?? ''), end };
    if (op.endsWith('?')) {
      if (active) this.errors.push({ kind: 'required', name, message: word.value });
      return { value: '', end };
    }
    return { value: word.value, end };
  }

  /** `$NAME` or `${NAME}`: no operator says what an unset one means, so it becomes empty, noted. */
  private bareValueOf(name: string, active: boolean): string {
    const value = this.valueOf(name, active);
    if (active && value === undefined) this.unset.push(name);
    return value ?? '';
  }

  private valueOf(name: string, active: boolean): string | undefined {
    const value = this.lookup(name);
    if (active && value !== undefined) this.used.push(name);
    return value;
  }
}

/** Whether the word after the operator replaces the variable (for `?`: whether it is an error). */
function chooseWord(op: Operator, value: string | undefined): boolean {
  const unset = value === undefined;
  const empty = unset || value === '';
  switch (op) {
    case ':-':
    case ':?':
      return empty;
    case '-':
    case '?':
      return unset;
    case ':+':
      return !empty;
    case '+':
      return !unset;
  }
}
