import type { Phase } from '../../model/observed.js';

const WORDS = new Set<Phase>(['running', 'stopped', 'starting', 'crashed']);

/**
 * Reads a `status` lifecycle command's answer. What it prints wins over its exit code: JSON
 * `{"state": "running"}` or a first word `running|stopped|starting|crashed`; otherwise exit 0
 * means running and 3 stopped (the LSB convention); anything else is unknown.
 */
export function readStatusAnswer(exitCode: number | null, stdout: string): Phase {
  const text = stdout.trim();
  const stated = stateFromJson(text) ?? stateFromWord(text);
  if (stated) return stated;
  if (exitCode === 0) return 'running';
  if (exitCode === 3) return 'stopped';
  return 'unknown';
}

function stateFromJson(text: string): Phase | undefined {
  if (!text.startsWith('{')) return undefined;
  try {
    const state = (JSON.parse(text) as { state?: unknown }).state;
    return typeof state === 'string' ? asPhase(state) : undefined;
  } catch {
    return undefined;
  }
}

function stateFromWord(text: string): Phase | undefined {
  const word = /^[A-Za-z]+/.exec(text)?.[0];
  return word ? asPhase(word) : undefined;
}

function asPhase(word: string): Phase | undefined {
  const lower = word.toLowerCase() as Phase;
  return WORDS.has(lower) ? lower : undefined;
}
