#!/bin/sh
# LSB: exit 0 when running, 3 when stopped.
if [ -f run/server.pid ] && kill -0 "$(cat run/server.pid)" 2>/dev/null; then
  echo "running (pid $(cat run/server.pid))"
  exit 0
fi
echo stopped
exit 3
