#!/bin/sh
# `stack run openmemory health`: is the MCP server answering?
wget -q -O - "http://127.0.0.1:${OPENMEMORY_PORT:-8765}/" >/dev/null 2>&1 || curl -fsS "http://127.0.0.1:${OPENMEMORY_PORT:-8765}/" >/dev/null && echo "openmemory answers on ${OPENMEMORY_PORT:-8765}"
