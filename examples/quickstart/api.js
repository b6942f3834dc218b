// A tiny HTTP API: answers /health and counts requests to /work.
import { createServer } from 'node:http';

const port = Number(process.env.PORT ?? 8787);
let served = 0;
createServer((request, response) => {
  if (request.url === '/health') return response.end('ok\n');
  served += 1;
  response.setHeader('content-type', 'application/json');
  response.end(JSON.stringify({ served, greeting: process.env.GREETING ?? 'hello' }) + '\n');
}).listen(port, '127.0.0.1', () => console.log(`api listening on http://127.0.0.1:${port}`));

process.on('SIGTERM', () => {
  console.log('api: SIGTERM received, closing');
  process.exit(0);
});
