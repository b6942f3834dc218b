#!/bin/sh
# Stops the server named in run/server.pid; stopping a stopped server is not an error.
[ -f run/server.pid ] || exit 0
pid=$(cat run/server.pid)
kill "$pid" 2>/dev/null || true
rm -f run/server.pid
echo "stopped (pid $pid)"
