// The app of the dev stack: counts visits in redis and asks postgres for its version (psql),
// with nothing but Node: RESP over a socket for redis, the psql client for postgres.
import { createServer, } from 'node:http';
import { connect } from 'node:net';
import { execFile } from 'node:child_process';

const port = Number(process.env.PORT ?? 58080);

function redis(...args) {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(process.env.REDIS_PORT ?? 6379), '127.0.0.1');
    socket.setEncoding('utf8');
    let reply = '';
    socket.on('data', (chunk) => {
      reply += chunk;
      if (reply.endsWith('\r\n')) socket.end();
    });
    socket.on('end', () => resolve(reply.slice(1).trim()));
    socket.on('error', reject);
    socket.write(`*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`);
  });
}

function postgresVersion() {
  return new Promise((resolve, reject) =>
    execFile('psql', ['-h', '127.0.0.1', '-p', process.env.PGPORT ?? '5432', '-U', 'postgres', '-Atc', 'show server_version'], (error, stdout) =>
      error ? reject(error) : resolve(stdout.trim())));
}

createServer(async (request, response) => {
  if (request.url === '/health') return response.end('ok\n');
  try {
    const visits = await redis('INCR', 'visits');
    const version = await postgresVersion();
    response.end(`visits=${visits} postgres=${version}\n`);
  } catch (error) {
    response.statusCode = 503;
    response.end(`unavailable: ${error.message}\n`);
  }
}).listen(port, '127.0.0.1', () => console.log(`app listening on ${port}`));
