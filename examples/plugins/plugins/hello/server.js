// Answers every request with a greeting; the port comes from HELLO_PORT.
import { createServer } from 'node:http';

const port = Number(process.env.HELLO_PORT ?? 8790);
createServer((_request, response) => response.end(`hello from ${process.env.STACK_SERVICE ?? 'hello'}\n`)).listen(port, '127.0.0.1', () => {
  console.log(`listening on 127.0.0.1:${port}`);
});
