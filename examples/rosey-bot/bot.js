// The bot: plugins register with it over HTTP and send a heartbeat; GET / lists the live ones.
import { createServer } from 'node:http';

const plugins = new Map();
createServer((request, response) => {
  const url = new URL(request.url, 'http://bot');
  if (url.pathname === '/health') return response.end('ok\n');
  if (url.pathname === '/register') {
    const name = url.searchParams.get('name');
    if (!plugins.has(name)) console.log(`plugin ${name} registered`);
    plugins.set(name, Date.now());
    return response.end('ok\n');
  }
  const alive = [...plugins].filter(([, seen]) => Date.now() - seen < 3000).map(([name]) => name).sort();
  response.end(`${JSON.stringify({ pid: process.pid, plugins: alive })}\n`);
}).listen(Number(process.env.BOT_PORT), '127.0.0.1', () => console.log(`bot ready on ${process.env.BOT_PORT}`));
