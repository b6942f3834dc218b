// The floor of `stack status --json` under a controller: a bare client that asks GET /v1/status on
// the socket given as its argument and prints the body. CommonJS and node:net, as the fast path
// (src/cli/fast-status.ts), so the two differ only by what stack itself does.
const chunks = [];
const socket = require('node:net').connect(process.argv[2]);
socket.on('data', (chunk) => chunks.push(chunk));
socket.on('end', () => {
  const answer = Buffer.concat(chunks);
  process.stdout.write(answer.subarray(answer.indexOf('\r\n\r\n') + 4));
});
socket.write('GET /v1/status HTTP/1.0\r\nHost: stack\r\n\r\n');
