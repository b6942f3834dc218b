/** Opens `url` in the desktop's browser (`open` on macOS, `xdg-open` elsewhere); says why not instead of throwing. */
export async function openBrowser(url: string): Promise<string | undefined> {
  const { spawn } = await import('../../os/child-process.js');
  const opener = process.platform === 'darwin' ? 'open' : 'xdg-open';
  return new Promise((resolve) => {
    const child = spawn(opener, [url], { stdio: 'ignore', detached: true });
    child.once('error', (error) => resolve(`cannot open a browser (${opener}: ${error.message}): open the URL above`));
    child.once('spawn', () => {
      child.unref();
      resolve(undefined);
    });
  });
}
