#!/bin/sh
# `stack run hello greet`: asks the running server for its greeting.
exec node -e "fetch('http://127.0.0.1:' + process.env.HELLO_PORT + '/').then(async (r) => process.stdout.write(await r.text()), () => process.exit(1))"
