/**
 * Edits of stack.yaml as text. Where the services are block maps (the usual case) the edit is
 * spliced into the text, so every other byte stays as written; otherwise yaml's Document API
 * does it, which keeps comments but may respace some lines. Pure: text in, text out.
 */

import { Document, isCollection, isMap, isPair, isScalar, LineCounter, parseDocument } from 'yaml';
import type { Node, Pair, Scalar, YAMLMap } from 'yaml';
import { duplicateKeyOffsets } from './parse.js';

/** A stack.yaml text parsed for editing. */
export interface Opened {
  doc: Document;
  lines: LineCounter;
}

/**
 * Parses `text` for an edit; throws when it is not YAML an edit can keep. Duplicate keys are
 * found with a set per map (duplicateKeyOffsets): yaml's own check compares each key with every
 * earlier one, ~40 ms of each parse of a stack of 1,000 services.
 */
export function openStackText(text: string): Opened {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: false });
  if (doc.errors.length > 0) throw new Error(`stack.yaml cannot be edited: ${doc.errors[0]?.message ?? 'invalid YAML'}`);
  const duplicate = duplicateKeyOffsets(doc)[0];
  if (duplicate !== undefined) {
    const { line, col } = lines.linePos(duplicate);
    throw new Error(`stack.yaml cannot be edited: map keys must be unique at line ${line}, column ${col}`);
  }
  return { doc, lines };
}

const open = openStackText;

// lineWidth 0: never fold a long line someone wrote on one line.
const show = (doc: Document): string => doc.toString({ lineWidth: 0, flowCollectionPadding: false });

/** Appends a service at the end of `services:` (its place in the manifest order). */
export function addServiceText(text: string, name: string, entry: Record<string, unknown>): string {
  const { doc, lines } = open(text);
  if (doc.hasIn(['services', name])) throw new Error(`stack.yaml already has a service named "${name}"`);
  const services = doc.get('services', true);
  const rendered = new Document({ [name]: entry }).toString({ lineWidth: 0 }).trimEnd();
  const spliced = isBlockMap(services) ? appendToBlockMap(text, services, lines, rendered) : undefined;
  if (spliced !== undefined) return spliced;
  if (!isMap(services)) doc.set('services', doc.createNode({}));
  doc.setIn(['services', name], doc.createNode(entry, { flow: false }));
  return show(doc);
}

/**
 * Sets one scalar key of a service (e.g. `enabled: false`), keeping everything else as written:
 * an existing value is replaced in place (in its quote style, for strings), a missing key is
 * added as the last entry of the service, in block maps (with the service's indentation) and in
 * flow maps (`{ command: x, state: stopped }`) alike.
 */
export function setServiceKeyText(text: string, name: string, key: string, value: string | number | boolean): string {
  return setServiceValueText(text, name, [key], value);
}

/**
 * Sets a scalar at `path` under a service (`['plugin', 'commit']`), as setServiceKeyText does
 * for a key of the service itself. The map that holds the last key must exist.
 */
export function setServiceValueText(text: string, name: string, path: readonly [...string[], string], value: string | number | boolean): string {
  return setServiceValueIn(open(text), text, name, path, value);
}

/** setServiceValueText on `text` already opened (openStackText): a caller that read the document first parses it once. */
export function setServiceValueIn(opened: Opened, text: string, name: string, path: readonly [...string[], string], value: string | number | boolean): string {
  const { doc, lines } = opened;
  if (doc.getIn(['services', name], true) === undefined) throw new Error(`stack.yaml has no service named "${name}"`);
  const key = path.at(-1) as string;
  const holder = doc.getIn(['services', name, ...path.slice(0, -1)], true);
  if (isMap(holder)) {
    const pair = holder.items.find((item) => isScalar(item.key) && String(item.key.value) === key);
    const current = pair?.value;
    if (pair && isScalar(current) && current.range) return replaceScalar(text, current, value);
    const written = `${key}: ${plainOrQuoted(value)}`;
    if (!pair && isBlockMap(holder)) {
      const spliced = appendToBlockMap(text, holder, lines, written);
      if (spliced !== undefined) return spliced;
    }
    if (!pair && holder.flow && holder.items.length > 0) {
      const end = (holder.items.at(-1) as Pair<Node, Node | null>).value?.range?.[1];
      if (end !== undefined) return `${text.slice(0, end)}, ${written}${text.slice(end)}`;
    }
  }
  doc.setIn(['services', name, ...path], value);
  return show(doc);
}

/** A string YAML would read as something else (`true`, `1e5`, a commit id of digits only) is quoted. */
function plainOrQuoted(value: string | number | boolean): string {
  if (typeof value !== 'string') return String(value);
  const plain = value !== '' && !/[:#{}[\],&*!|>'"%@`]|^[-?\s]|\s$/.test(value) && typeof parseDocument(value).toJS() === 'string';
  return plain ? value : JSON.stringify(value);
}

function replaceScalar(text: string, scalar: Scalar, value: string | number | boolean): string {
  const [start, end] = scalar.range as [number, number, number];
  let written = plainOrQuoted(value);
  if (typeof value === 'string' && scalar.type === 'QUOTE_DOUBLE') written = JSON.stringify(value);
  if (typeof value === 'string' && scalar.type === 'QUOTE_SINGLE') written = `'${value.replace(/'/g, "''")}'`;
  // `state:` with no value: the empty scalar sits right after the colon.
  if (start === end && text[start - 1] === ':') written = ` ${written}`;
  return text.slice(0, start) + written + text.slice(end);
}

/** Deletes a service's entry: its lines, when it sits in a block map, and nothing else. */
export function removeServiceText(text: string, name: string): string {
  const { doc } = open(text);
  const services = doc.get('services', true);
  if (isBlockMap(services) && services.items.length > 1) {
    const pair = services.items.find((item) => isScalar(item.key) && String(item.key.value) === name) as Pair<Node, Node | null> | undefined;
    const start = pair?.key?.range?.[0];
    const end = pair ? endOfLastValue(pair.value ?? pair.key) : undefined;
    if (start !== undefined && end !== undefined) {
      const lineStart = text.lastIndexOf('\n', start - 1) + 1;
      const newline = text.indexOf('\n', end);
      return text.slice(0, lineStart) + (newline < 0 ? '' : text.slice(newline + 1));
    }
  }
  doc.deleteIn(['services', name]);
  return show(doc);
}

function isBlockMap(node: unknown): node is YAMLMap<unknown, unknown> {
  return isMap(node) && !node.flow && node.items.length > 0 && node.items.every((item) => isPair(item));
}

/** Inserts `block` (unindented lines) as the map's last entry, indented like its other keys. */
function appendToBlockMap(text: string, map: YAMLMap<unknown, unknown>, lines: LineCounter, block: string): string | undefined {
  const first = map.items[0] as Pair<Node, Node | null>;
  const last = map.items.at(-1) as Pair<Node, Node | null>;
  const keyStart = first.key?.range?.[0];
  const end = endOfLastValue(last.value ?? last.key);
  if (keyStart === undefined || end === undefined) return undefined;
  const indent = ' '.repeat(lines.linePos(keyStart).col - 1);
  const newline = text.indexOf('\n', end);
  const at = newline < 0 ? text.length : newline;
  const body = block.split('\n').map((line) => `${indent}${line}`).join('\n');
  return `${text.slice(0, at)}\n${body}${newline < 0 ? '\n' : ''}${text.slice(at)}`;
}

// A collection's range runs on over the comments below it; its last scalar's does not.
function endOfLastValue(node: unknown): number | undefined {
  let current = node;
  while (isCollection(current) && !current.flow && current.items.length > 0) {
    const item = current.items.at(-1);
    current = isPair(item) ? (item.value ?? item.key) : item;
  }
  return (current as Node | null | undefined)?.range?.[1];
}
