#!/bin/sh
# Runs docker compose v2 when the plugin is there, else docker-compose v1 (Debian's), with this
# folder's compose.yaml: the plugin's lifecycle commands stay one word each.
if docker compose version >/dev/null 2>&1; then exec docker compose "$@"; fi
exec docker-compose "$@"
