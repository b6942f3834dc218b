#!/usr/bin/env bash
# What `npm test` needs besides Node, set up before the tests run (npm's `pretest` step):
# Debian packages the real-component tests use (tmux for terminal tests, the servers the
# examples run, chromium for the dashboard's page), then a docker engine and its test image
# (scripts/docker-test-env.sh).
#
# As root on Debian it installs and starts what is missing, and is idempotent (a second run takes
# well under a second). Anywhere else it changes nothing and says in one line what is missing, so
# the tests that need it fail saying so (STACK_SKIP_DOCKER_TESTS=1 skips the docker ones on purpose).
#
#   bash scripts/test-env.sh          # what `npm test` runs first
#   STACK_TEST_ENV=0 npm test         # skip this step (you set up the machine yourself)
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'test-env: %s\n' "$*" >&2; }

[ "${STACK_TEST_ENV:-1}" = 0 ] && { say "STACK_TEST_ENV=0: not checked"; exit 0; }

# command → Debian package. Each line is what a group of tests runs for real.
NEEDED=(
  "tmux:tmux"                       # terminal tests drive stack in a real pseudo-terminal
  "script:bsdutils"                 # the same, without tmux
  "pg_isready:postgresql"           # examples/dev-stack
  "psql:postgresql-client"
  "redis-server:redis-server"
  "nginx:nginx-light"
  "chromium:chromium"               # the dashboard's page in a real headless browser (tests/support/browser.ts)
)

missing_packages() {
  local entry command package
  for entry in "${NEEDED[@]}"; do
    command=${entry%%:*}
    package=${entry#*:}
    command -v "$command" >/dev/null 2>&1 || printf '%s\n' "$package"
  done | sort -u
}

can_install() { [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; }

mapfile -t missing < <(missing_packages)
if [ "${#missing[@]}" -gt 0 ]; then
  if can_install; then
    say "installing ${missing[*]} …"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    say "missing ${missing[*]} (not root on Debian, so not installed): the tests that need them will fail; install them, or run this as root"
  fi
fi

if [ "${STACK_SKIP_DOCKER_TESTS:-}" = 1 ]; then
  say "STACK_SKIP_DOCKER_TESTS=1: no docker engine set up; the docker tests are skipped and say so"
elif timeout 10 docker image inspect "${STACK_TEST_IMAGE:-stack-test/busybox:latest}" >/dev/null 2>&1 &&
  [ "$(timeout 10 docker info --format '{{.Swarm.ControlAvailable}}' 2>/dev/null)" = true ]; then
  say "docker: engine (a swarm manager) and test image ready"
elif timeout 10 docker image inspect "${STACK_TEST_IMAGE:-stack-test/busybox:latest}" >/dev/null 2>&1; then
  # Only the swarm is missing: making the engine a manager needs no root.
  bash scripts/docker-test-env.sh
elif can_install; then
  bash scripts/docker-test-env.sh
else
  say "no docker engine with the test image (starting one needs root: sudo bash scripts/docker-test-env.sh); the docker tests will fail saying so, or set STACK_SKIP_DOCKER_TESTS=1"
fi
