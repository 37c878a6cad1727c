#!/usr/bin/env bash
# Runs fake-gcs-server (Cloud Storage JSON + XML API, plain HTTP, in memory) in
# the foreground.
#
# Usage: scripts/emulators/start-gcs.sh [HOST:PORT] [extra fake-gcs-server flags...]
#   HOST:PORT  defaults to $GCS_EMULATOR_HOST (host:port; a leading http://
#              is stripped), else 127.0.0.1:4443. STORAGE_EMULATOR_HOST is
#              deliberately not read: see README.md.
# Environment:
#   GCS_PUBLIC_HOST  value for -public-host (default: HOST:PORT). It must equal
#                    the Host header of path-style URLs
#                    (http://HOST:PORT/BUCKET/OBJECT), i.e. of the V4 signed URLs
#                    that @google-cloud/storage makes with apiEndpoint
#                    http://HOST:PORT.
#   GCS_LOG_LEVEL    -log-level (default: warn)
#
# Ready when `GET http://HOST:PORT/_internal/healthcheck` answers 200.
# Reset: `POST http://HOST:PORT/_internal/delete_all` (drops all buckets and
# objects). Stop with SIGTERM/SIGINT. See scripts/emulators/README.md.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BIN="$ROOT/.tools/bin/fake-gcs-server"

# shellcheck source=scripts/emulators/address.sh
source "$ROOT/scripts/emulators/address.sh"
parse_address start-gcs "${GCS_EMULATOR_HOST:-127.0.0.1:4443}" "$@"
shift "$args_used"

require_binary start-gcs "$BIN"

exec "$BIN" \
  -scheme http \
  -backend memory \
  -host "$host" \
  -port "$port" \
  -public-host "${GCS_PUBLIC_HOST:-$host:$port}" \
  -external-url "http://$host:$port" \
  -log-level "${GCS_LOG_LEVEL:-warn}" \
  "$@"
