#!/usr/bin/env bash
# Runs aertje/cloud-tasks-emulator (Cloud Tasks v2 gRPC API, in memory) in the
# foreground, optionally with its OIDC discovery/JWKS HTTP endpoint.
#
# Usage: scripts/emulators/start-tasks.sh [HOST:PORT] [extra emulator flags...]
#   HOST:PORT  gRPC address; defaults to $CLOUD_TASKS_EMULATOR_HOST, else
#              127.0.0.1:8123
#   extra flags are passed through (e.g. -hard-reset-on-purge-queue)
# Environment:
#   CLOUD_TASKS_QUEUES         queues to create at start-up, full names
#                              (projects/P/locations/L/queues/Q), separated by
#                              commas or spaces. Default: none.
#   CLOUD_TASKS_OPENID_ISSUER  issuer URL, http://HOST:PORT without a path.
#                              Tokens get this `iss`; discovery is served at
#                              ISSUER/.well-known/openid-configuration and keys at
#                              ISSUER/jwks, listening on 0.0.0.0:<issuer port>.
#                              Default: http://HOST:(PORT+1). Set to the empty
#                              string to disable (then iss=http://cloud-tasks-emulator).
#
# Ready when the gRPC port accepts connections (and, with an issuer,
# `GET ISSUER/jwks` answers 200). Stop with SIGTERM/SIGINT.
# See scripts/emulators/README.md.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BIN="$ROOT/.tools/bin/cloud-tasks-emulator"

# shellcheck source=scripts/emulators/address.sh
source "$ROOT/scripts/emulators/address.sh"
parse_address start-tasks "${CLOUD_TASKS_EMULATOR_HOST:-127.0.0.1:8123}" "$@"
shift "$args_used"

require_binary start-tasks "$BIN"

args=(-host "$host" -port "$port")

issuer="${CLOUD_TASKS_OPENID_ISSUER-http://$host:$((port + 1))}"
if [[ -n "$issuer" ]]; then
  args+=(-openid-issuer "$issuer")
fi

queue_list=()
IFS=', ' read -r -a queue_list <<<"${CLOUD_TASKS_QUEUES:-}"
for queue in "${queue_list[@]}"; do
  args+=(-queue "$queue")
done

exec "$BIN" "${args[@]}" "$@"
