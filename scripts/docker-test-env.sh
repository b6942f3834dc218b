#!/usr/bin/env bash
# Makes a docker engine and the local test image available for stack's compose tests.
# Idempotent, for Debian as root (CI, dev containers): installs docker.io, docker-compose and
# busybox-static when missing, starts dockerd when no engine answers (without systemd, trying
# a sandbox-friendly configuration when the default one cannot start), builds
# stack-test/busybox:latest with `docker import` (no image registry is needed), and makes the
# engine a one-node swarm manager for the swarm provider's tests (only when it is in no swarm:
# a swarm it already belongs to is never left).
#
#   bash scripts/docker-test-env.sh          # prints what it did and how long each step took
#
# Environment: STACK_TEST_IMAGE (default stack-test/busybox:latest), STACK_DOCKERD_LOG
# (default /var/log/stack-dockerd.log), STACK_DOCKERD_WAIT seconds per attempt (default 60).
set -euo pipefail

IMAGE="${STACK_TEST_IMAGE:-stack-test/busybox:latest}"
LOG="${STACK_DOCKERD_LOG:-/var/log/stack-dockerd.log}"
WAIT="${STACK_DOCKERD_WAIT:-60}"
APPLETS=(sh sleep httpd nc wget cat echo ls touch test true false env ps kill date rm mkdir printf grep)

say() { printf 'docker-test-env: %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }
now() { date +%s.%N; }
took() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }
engine_answers() { timeout 10 docker info >/dev/null 2>&1; }

install_packages() {
  local missing=()
  command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
  command -v docker >/dev/null 2>&1 || missing+=(docker.io)
  if ! docker compose version >/dev/null 2>&1 && ! command -v docker-compose >/dev/null 2>&1; then missing+=(docker-compose); fi
  [ -x /bin/busybox ] || [ -x /usr/bin/busybox ] || missing+=(busybox-static)
  [ "${#missing[@]}" -eq 0 ] && { say "packages: present"; return; }
  [ "$(id -u)" -eq 0 ] || die "missing ${missing[*]}; run as root or: sudo apt-get install -y docker.io docker-compose busybox-static"
  command -v apt-get >/dev/null 2>&1 || die "missing ${missing[*]} and no apt-get to install them"
  local start; start=$(now)
  say "installing ${missing[*]} …"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends docker.io docker-compose busybox-static iptables >/dev/null
  say "packages: installed in $(took "$start")"
}

# Starts dockerd with the given extra flags; succeeds when the engine answers before the deadline.
try_dockerd() {
  local start pid i
  start=$(now)
  # A pid file left by a dead dockerd makes the next one refuse to start.
  if [ -f /var/run/docker.pid ] && ! kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then rm -f /var/run/docker.pid; fi
  say "starting dockerd $* (log: $LOG)"
  printf '\n==== %s dockerd %s\n' "$(date -u +%FT%TZ)" "$*" >>"$LOG"
  setsid nohup dockerd "$@" >>"$LOG" 2>&1 </dev/null &
  pid=$!
  for ((i = 0; i < WAIT * 4; i++)); do
    if engine_answers; then say "engine: answers after $(took "$start") (dockerd pid $pid)"; return 0; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.25
  done
  say "dockerd $* did not come up; last lines of $LOG:"
  tail -n 15 "$LOG" >&2 || true
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for ((i = 0; i < 40; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  return 1
}

start_engine() {
  if engine_answers; then say "engine: already answering ($(docker version --format '{{.Server.Version}}' 2>/dev/null))"; return; fi
  [ -n "${DOCKER_HOST:-}" ] && die "DOCKER_HOST=$DOCKER_HOST does not answer; unset it to use a local dockerd"
  [ "$(id -u)" -eq 0 ] || die "no docker engine answers and starting dockerd needs root"
  mkdir -p "$(dirname "$LOG")"
  # The default first; then without iptables/bridge (sandboxes without netfilter); then vfs
  # storage too (no overlayfs, e.g. docker inside docker without privileges).
  try_dockerd && return
  try_dockerd --iptables=false --ip6tables=false --bridge=none && return
  try_dockerd --iptables=false --ip6tables=false --bridge=none --storage-driver=vfs && return
  die "the docker engine could not be started (see $LOG)"
}

build_image() {
  if docker image inspect "$IMAGE" >/dev/null 2>&1; then say "image: $IMAGE present"; return; fi
  local start busybox root applet
  start=$(now)
  busybox=$(command -v busybox || true)
  [ -x /bin/busybox ] && busybox=/bin/busybox
  [ -n "$busybox" ] || die "busybox not found (apt-get install busybox-static)"
  # The image must run busybox with no shared libraries.
  if ldd "$busybox" >/dev/null 2>&1; then die "$busybox is dynamically linked; install busybox-static"; fi
  root=$(mktemp -d)
  trap 'rm -rf "$root"' RETURN
  mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/www" "$root/data"
  chmod 1777 "$root/tmp"
  cp "$busybox" "$root/bin/busybox"
  for applet in "${APPLETS[@]}"; do ln -s busybox "$root/bin/$applet"; done
  printf 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
  echo 'stack test image' >"$root/www/index.html"
  tar --numeric-owner --owner=0 --group=0 -C "$root" -cf - . |
    docker import -c 'ENV PATH=/bin' -c 'CMD ["/bin/sh"]' -m 'stack test image: busybox-static' - "$IMAGE" >/dev/null
  say "image: built $IMAGE in $(took "$start")"
}

# `docker swarm init` does not disturb containers or compose projects; a failure is said, not
# fatal: only the swarm tests need it, and they say so.
make_swarm_manager() {
  local state
  state=$(docker info --format '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}' 2>/dev/null || true)
  case "$state" in
    "active true") say "swarm: already a manager"; return ;;
    active*) say "swarm: this engine is a swarm worker; the swarm tests need a manager (run them on a manager node)"; return ;;
  esac
  local start; start=$(now)
  if docker swarm init --advertise-addr 127.0.0.1 >/dev/null 2>&1; then
    say "swarm: a one-node swarm manager in $(took "$start")"
  else
    say "swarm: \`docker swarm init --advertise-addr 127.0.0.1\` failed; the swarm tests will fail saying so"
  fi
}

report_cli() {
  if docker compose version >/dev/null 2>&1; then say "compose: v2 ($(docker compose version --short 2>/dev/null || true))"; fi
  if command -v docker-compose >/dev/null 2>&1; then say "compose: v1 ($(docker-compose version --short 2>/dev/null || true))"; fi
}

began=$(now)
install_packages
start_engine
build_image
make_swarm_manager
report_cli
docker run --rm "$IMAGE" true || die "a container of $IMAGE could not run (see $LOG)"
say "ready in $(took "$began")"
