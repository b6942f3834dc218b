import { dirname, join } from 'node:path';
import { findStack } from '../../api.js';
import { ExitCode, StackError } from '../../model/errors.js';
import { streams, type GlobalOptions } from '../context.js';
import { waitForSignal } from '../controller-cli.js';

interface DashboardOptions extends GlobalOptions {
  port?: string;
  listen?: string;
  open?: boolean;
}

/** The addresses only this machine reaches (as bound: `localhost` is one of them). */
const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;

/**
 * `stack dashboard [--port N] [--listen ADDR] [--open]`: the stack as a local web page
 * (docs/dashboard.md), served until Ctrl+C or SIGTERM (exit 0). The URL printed carries a
 * one-time token that signs one browser in.
 */
export async function run(options: DashboardOptions): Promise<number> {
  const port = parsePort(options.port);
  const listen = options.listen ?? '127.0.0.1';
  // Resolved once: a file briefly gone (a `git stash`) must not send a verb to a parent folder's stack.
  const file = findStack({ file: options.file });
  const { startDashboard } = await import('../../api/dashboard/server.js');
  const stack = [process.execPath, process.argv[1] as string];
  const dashboard = await startDashboard({ file, port, listen, stack, assets: join(dirname(stack[1] as string), '..', 'dist', 'dashboard') });
  const stopping = new AbortController();
  try {
    streams.stdout.write(`stack dashboard: ${dashboard.url}\n`);
    if (!LOOPBACK.test(dashboard.address)) streams.stdout.write(`note: ${reachable(dashboard.address)}\n`);
    streams.stdout.write('Open that link (it works once); Ctrl+C stops the dashboard.\n');
    if (options.open) {
      const { openBrowser } = await import('../../api/dashboard/open.js');
      const problem = await openBrowser(dashboard.url, file, stopping.signal);
      if (problem) streams.stderr.write(`note: ${problem}\n`);
    }
    await waitForSignal();
    return ExitCode.ok;
  } finally {
    stopping.abort();
    await dashboard.close();
  }
}

/** What `--listen` off the loopback means: others can reach it, and nothing between them and it is encrypted. */
function reachable(listen: string): string {
  const wildcard = listen === '0.0.0.0' || listen === '::';
  const where = wildcard ? `every address of this machine (${listen}; from another machine, use one of them in place of 127.0.0.1)` : listen;
  return `listening on ${where}: other machines can reach the dashboard, over plain HTTP (the link and the session cookie are readable on the way); the link's token signs in only one browser`;
}

function parsePort(text: string | undefined): number {
  if (text === undefined) return 0;
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 1 || port > 65535) throw new StackError(ExitCode.actionFailed, `--port takes a port number from 1 to 65535, not ${JSON.stringify(text)}`, { hint: 'leave --port out for a free port' });
  return port;
}
