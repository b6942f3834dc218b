import { constants } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ensureStateDir } from '../../state/state-file.js';
import { statePaths } from '../../state/paths.js';

/** How long the page that leads to the link stays on disk: the browser reads it as it opens. */
const REDIRECT_KEPT_MS = 60_000;

/**
 * Opens `url` in the desktop's browser (`open` on macOS, `xdg-open` elsewhere); says why not
 * instead of throwing. The link's token never goes on a command line, where any local user
 * reads it (`ps`) and could sign in before the browser does: the browser is given a page in
 * the stack's own `.stack/` (mode 0600; `stackFile`'s folder) that leads to the link, as Jupyter does. The
 * page is removed a minute later, or when `stopped` aborts.
 */
export async function openBrowser(url: string, stackFile: string, stopped?: AbortSignal): Promise<string | undefined> {
  let page: string;
  try {
    page = await writeRedirect(url, statePaths(dirname(stackFile)).dir);
  } catch (error) {
    return `cannot write the page that opens the dashboard (${(error as Error).message}): open the URL above`;
  }
  const forget = (): void => void rm(page, { force: true }).catch(() => undefined);
  const timer = setTimeout(forget, REDIRECT_KEPT_MS);
  timer.unref();
  stopped?.addEventListener('abort', forget, { once: true });
  const { spawn } = await import('../../os/child-process.js');
  const opener = process.platform === 'darwin' ? 'open' : 'xdg-open';
  return new Promise((resolve) => {
    const child = spawn(opener, [pathToFileURL(page).href], { stdio: 'ignore', detached: true });
    child.once('error', (error) => resolve(`cannot open a browser (${opener}: ${error.message}): open the URL above`));
    child.once('spawn', () => {
      child.unref();
      resolve(undefined);
    });
  });
}

/** A page of its own (a new name, created, never through a link) that sends the browser to `url`. */
async function writeRedirect(url: string, folder: string): Promise<string> {
  // The stack's own folder, refused when it is a link or not this user's.
  await ensureStateDir(folder);
  const page = join(folder, `dashboard-${randomBytes(8).toString('hex')}.html`);
  const handle = await open(page, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    const quoted = url.replaceAll('&', '&amp;').replaceAll('"', '&quot;').replaceAll('<', '&lt;');
    await handle.writeFile(
      `<!doctype html>\n<meta charset="utf-8">\n<meta name="referrer" content="no-referrer">\n<meta http-equiv="refresh" content="0;url=${quoted}">\n<title>stack dashboard</title>\n<p><a href="${quoted}">Open the stack dashboard</a></p>\n`,
    );
  } finally {
    await handle.close();
  }
  return page;
}
