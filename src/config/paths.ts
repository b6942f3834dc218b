/** POSIX path arithmetic without node:path, so the loader stays pure. */

/** Collapses `.`, `..` and repeated slashes; keeps a leading `/`. */
export function normalizePath(path: string): string {
  const absolute = path.startsWith('/');
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length > 0 && parts.at(-1) !== '..') parts.pop();
      else if (!absolute) parts.push('..');
    } else {
      parts.push(part);
    }
  }
  const joined = parts.join('/');
  if (absolute) return `/${joined}`;
  return joined === '' ? '.' : joined;
}

/** `rel` against the folder `base`; an absolute `rel` stands alone. */
export function resolvePath(base: string, rel: string): string {
  return normalizePath(rel.startsWith('/') ? rel : `${base}/${rel}`);
}

export function dirname(path: string): string {
  const normal = normalizePath(path);
  const slash = normal.lastIndexOf('/');
  if (slash < 0) return '.';
  return slash === 0 ? '/' : normal.slice(0, slash);
}

export function basename(path: string): string {
  const normal = normalizePath(path);
  return normal.slice(normal.lastIndexOf('/') + 1);
}

/** `to` relative to the folder `from`, both absolute; `to` itself when that is shorter. */
export function relativePath(from: string, to: string): string {
  const fromParts = normalizePath(from).split('/').filter(Boolean);
  const toParts = normalizePath(to).split('/').filter(Boolean);
  let common = 0;
  while (common < fromParts.length && fromParts[common] === toParts[common]) common += 1;
  const relative = [...fromParts.slice(common).map(() => '..'), ...toParts.slice(common)].join('/') || '.';
  return relative.length < to.length ? relative : to;
}
