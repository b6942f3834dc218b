/** Env files: which ones a stack wants, and merging them with `env:`. Pure (texts are passed in). */

import { parse } from 'dotenv';
import type { ConfigIssue } from '../model/errors.js';
import { escapeControls, issueAt, quote } from './issues.js';
import type { KeyPath, Locate } from './issues.js';
import { resolvePath } from './paths.js';
import { asRecord } from './service-rules.js';

/** What a POSIX shell takes as a variable name; `env:` and env files allow no other. */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const ENV_NAME_RULE = 'use letters, digits and "_", not starting with a digit';

/**
 * An env file's variables; a name that `env:` would refuse is a problem instead (dotenv takes
 * `1X`, `A.B`, `A-B`), and so is a line that sets nothing (dotenv skips it without a word, so a
 * typo such as `API KEY=x` would leave the service without the variable).
 */
export function parseEnvFile(text: string, declared: string): { env: Record<string, string>; problems: string[] } {
  const env: Record<string, string> = {};
  const problems: string[] = [];
  for (const [key, value] of Object.entries(parse(text))) {
    if (ENV_NAME.test(key)) {
      if (value.includes('\0')) problems.push(`env file ${escapeControls(declared)} sets ${key} to a value holding a NUL character, which no process can receive`);
      else env[key] = value;
    } else if (!readsAsName(key)) problems.push(`env file ${escapeControls(declared)} sets a name that is not allowed (not shown: it reads like a secret): ${ENV_NAME_RULE}`);
    else problems.push(`env file ${escapeControls(declared)} sets ${quote(key)}, which is not allowed: ${ENV_NAME_RULE}`);
  }
  for (const { line, text: content } of linesSettingNothing(text)) {
    problems.push(`env file ${escapeControls(declared)}, line ${line}${shownName(content)} is not NAME=value, so it would set nothing`);
  }
  return { env, problems };
}

/**
 * Problems of `.env` beside stack.yaml, which feeds `${}` interpolation: a line that sets nothing
 * is an error there too, at its own line (`.env:3:1`). Its other names are not checked: one that
 * `${}` cannot name is simply never used.
 */
export function dotEnvIssues(text: string, display: string): ConfigIssue[] {
  return linesSettingNothing(text).map(({ line, text: content }) => ({
    message: `this line${shownName(content)} is not NAME=value, so it would set nothing`,
    path: '',
    position: { file: display, line, column: 1 },
    hint: 'write it as NAME=value, quoting a value that holds spaces, or make it a comment with #',
  }));
}

// A line that sets nothing may still be a secret, or hold one: `DB_PASSWORD hunter2`, a token
// pasted alone, a key. Only a first word that reads as a variable's name and has more after it
// is shown (` ("DB_PASSWORD" …)`); the line number finds the rest.
function shownName(content: string): string {
  const trimmed = content.trim();
  const word = /^[A-Za-z_][A-Za-z0-9_]{0,39}(?=[\s=:])/.exec(trimmed)?.[0];
  return word === undefined || !readsAsName(word) ? '' : ` (${quote(word)} …)`;
}

// Prefixes of well-known tokens (GitHub, GitLab, Stripe, Slack, AWS, Google, npm, Hugging Face, Shopify).
const TOKEN_PREFIX = /^(gh[pousr]_|github_pat_|glpat|[sprw]k_(live|test)|sk_|xox[abpors]|AKIA|ASIA|AIza|npm_|hf_|shp(at|ss|ca|pa)_)/i;

/**
 * Whether a word reads as a variable's name rather than a token: no token prefix, one case of
 * letters (`DB_PASSWORD`, `log_level`, not `aB3dE5…`), at most 3 digits, and no run of more
 * than 20 characters between underscores (a random string has none).
 */
export function readsAsName(word: string): boolean {
  if (TOKEN_PREFIX.test(word)) return false;
  if (/[a-z]/.test(word) && /[A-Z]/.test(word)) return false;
  if ((word.match(/[0-9]/g) ?? []).length > 3) return false;
  return word.split(/[_.-]/).every((part) => part.length <= 20);
}

// The lines dotenv reads as a variable: `[export ]NAME=value` or `NAME: value`, where a quoted
// value may go on over the following lines until its quote closes.
const ASSIGNMENT = /^\s*(?:export\s+)?[\w.-]+(?:\s*=|:(?:\s|$))\s*(.*)$/;

/** Lines that are neither blank, nor a comment, nor (part of) an assignment, 1-based. */
function linesSettingNothing(text: string): { line: number; text: string }[] {
  const found: { line: number; text: string }[] = [];
  let openQuote: string | undefined;
  text.replace(/\r\n?/g, '\n').split('\n').forEach((content, index) => {
    if (openQuote !== undefined) {
      if (closingQuoteIn(content, openQuote)) openQuote = undefined;
      return;
    }
    const trimmed = content.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const value = ASSIGNMENT.exec(content)?.[1];
    if (value === undefined) {
      found.push({ line: index + 1, text: content });
      return;
    }
    const quote = value[0];
    if ((quote === '"' || quote === "'" || quote === '`') && !closingQuoteIn(value.slice(1), quote)) openQuote = quote;
  });
  return found;
}

function closingQuoteIn(text: string, quote: string): boolean {
  for (let i = 0; i < text.length; i += 1) {
    if (text[i] === '\\') i += 1;
    else if (text[i] === quote) return true;
  }
  return false;
}

export function envFileList(envFile: unknown): string[] {
  return declaredEnvFiles(envFile).map((entry) => entry.path);
}

/**
 * The env files `envFile` names, each with where it is written (`envFile` or `envFile[i]`).
 * A path holding a NUL is left out: no file has that name (process-values.ts reports it).
 */
function declaredEnvFiles(envFile: unknown): { path: string; at: KeyPath }[] {
  const usable = (path: unknown): path is string => typeof path === 'string' && path !== '' && !path.includes('\0');
  if (typeof envFile === 'string') return usable(envFile) ? [{ path: envFile, at: ['envFile'] }] : [];
  if (!Array.isArray(envFile)) return [];
  return envFile.flatMap((path: unknown, index) => (usable(path) ? [{ path, at: ['envFile', index] }] : []));
}

/** Absolute paths of every env file the (possibly invalid) document refers to, without duplicates. */
export function listEnvFiles(document: unknown, root: string): string[] {
  const services = asRecord(asRecord(document)?.services) ?? {};
  const wanted = Object.values(services).flatMap((service) =>
    envFileList(asRecord(service)?.envFile).map((path) => resolvePath(root, path)),
  );
  return [...new Set(wanted)];
}

/**
 * Problems of every env file the (possibly invalid) document names: not found (absent from
 * `envFileTexts`) or not NAME=value, so they are reported with the file's other issues.
 */
export function checkEnvFiles(document: unknown, root: string, envFileTexts: ReadonlyMap<string, string>, locate: Locate): ConfigIssue[] {
  const services = asRecord(asRecord(document)?.services) ?? {};
  return Object.entries(services).flatMap(([name, service]) => readServiceEnvFiles(name, asRecord(service)?.envFile, root, envFileTexts, locate).issues);
}

/** The variables of a service's env files in order (later wins), and their problems. */
function readServiceEnvFiles(name: string, envFile: unknown, root: string, envFileTexts: ReadonlyMap<string, string>, locate: Locate) {
  const env: Record<string, string> = {};
  const issues: ConfigIssue[] = [];
  for (const { path: declared, at } of declaredEnvFiles(envFile)) {
    const absolute = resolvePath(root, declared);
    const text = envFileTexts.get(absolute);
    const path = ['services', name, ...at];
    if (text === undefined) {
      issues.push(issueAt(locate, path, `env file ${escapeControls(declared)} not found`, `looked for ${escapeControls(absolute)}`));
      continue;
    }
    const parsed = parseEnvFile(text, declared);
    issues.push(...parsed.problems.map((problem) => issueAt(locate, path, problem)));
    Object.assign(env, parsed.env);
  }
  return { env, issues };
}

export interface ServiceEnv {
  env: Record<string, string>;
  envFiles: string[];
  /** Keys that came from env files: secrets usually live there. */
  fromFiles: string[];
  issues: ConfigIssue[];
}

/** Env files in order, then `env:` (later wins). */
export function resolveServiceEnv(
  name: string,
  declared: { env?: Record<string, string | number | boolean>; envFile?: string | string[] },
  root: string,
  envFileTexts: ReadonlyMap<string, string>,
  locate: Locate,
): ServiceEnv {
  const envFiles = envFileList(declared.envFile).map((path) => resolvePath(root, path));
  const fromFiles = readServiceEnvFiles(name, declared.envFile, root, envFileTexts, locate);
  const env: Record<string, string> = { ...fromFiles.env };
  for (const [key, value] of Object.entries(declared.env ?? {})) env[key] = String(value);
  return { env, envFiles, fromFiles: Object.keys(fromFiles.env), issues: fromFiles.issues };
}
