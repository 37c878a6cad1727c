#!/usr/bin/env bash
# Runs the Cloud Firestore emulator (native mode, in memory) in the foreground.
#
# Usage: scripts/emulators/start-firestore.sh [HOST:PORT] [extra emulator flags...]
#   HOST:PORT  defaults to $FIRESTORE_EMULATOR_HOST, else 127.0.0.1:8681
#   extra flags are passed to `CloudFirestore start` (e.g. --project_id=P)
# Environment:
#   FIRESTORE_EMULATOR_JAR  jar to run (default: the one recorded by
#                           scripts/setup-emulators.sh)
#   FIRESTORE_JAVA_OPTS     extra JVM options, word-split (e.g. "-Xmx512m")
#
# Ready when `GET http://HOST:PORT/` answers 200 "Ok". Stop with SIGTERM/SIGINT.
# See scripts/emulators/README.md.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
ENV_FILE="$ROOT/.tools/stamps/firestore-emulator.env"
MAIN_CLASS="com.google.cloud.datastore.emulator.firestore.CloudFirestore"

# shellcheck source=scripts/emulators/address.sh
source "$ROOT/scripts/emulators/address.sh"
parse_address start-firestore "${FIRESTORE_EMULATOR_HOST:-127.0.0.1:8681}" "$@"
shift "$args_used"

jar="${FIRESTORE_EMULATOR_JAR:-}"
if [[ -z "$jar" && -f "$ENV_FILE" ]]; then
  jar="$(sed -n 's/^FIRESTORE_EMULATOR_JAR=//p' "$ENV_FILE")"
fi
if [[ -z "$jar" || ! -f "$jar" ]]; then
  echo "start-firestore: Firestore emulator jar not found; run scripts/setup-emulators.sh (or set FIRESTORE_EMULATOR_JAR)" >&2
  exit 1
fi

java_opts=()
if [[ -n "${FIRESTORE_JAVA_OPTS:-}" ]]; then
  read -r -a java_opts <<<"$FIRESTORE_JAVA_OPTS"
fi

# No GCE metadata server probing (it would hang or slow start-up offline).
export METADATA_SERVER_DETECTION=none

exec java -Duser.language=en "${java_opts[@]}" -cp "$jar" "$MAIN_CLASS" start \
  --host="$host" --port="$port" "$@"
