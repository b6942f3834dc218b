#!/bin/sh
# Starts the server in the background unless it already runs; its pid goes to run/server.pid.
set -e
mkdir -p run
if [ -f run/server.pid ] && kill -0 "$(cat run/server.pid)" 2>/dev/null; then
  echo "already running (pid $(cat run/server.pid))"
  exit 0
fi
nohup node server.js >> run/server.log 2>&1 &
echo $! > run/server.pid
echo "started (pid $!)"
