#!/usr/bin/env bash
# What the benches need on the host beyond Node and Docker: Buildbot, which buildbot.bench runs
# beside Gyre for the start-latency comparison. Kept out of the benches themselves so that a
# TypeScript bench never shells out to apt, and idempotent so `npm run bench` can call it every time.
set -euo pipefail

# shellcheck source=../.ci/lib/host.sh
source "$(dirname "$0")/../.ci/lib/host.sh"

ensure_buildbot
