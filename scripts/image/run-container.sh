#!/usr/bin/env bash
# Runs an image from buildah's local store the way a container runtime would, where none can run (no Docker
# engine; crun cannot start containers on this host): the image's file system as the root (pivot_root, not
# chroot, so that the sandbox inside can make its own namespaces), its ENTRYPOINT and CMD, its environment and
# working directory, its user, with Docker's default capabilities for root, a fresh /proc, a minimal /dev, a
# read-only /sys without cgroups (as on Cloud Run) and an in-memory /tmp. The host's network is shared, so the
# service listens on this machine's ports and reaches the emulators on loopback.
#
#   scripts/image/run-container.sh [--image IMAGE] [-e NAME=VALUE]... [-v HOST:PATH[:ro]]... [--user UID[:GID]]
#                                  [--wrap 'WORDS'] [--] [COMMAND...]
#
# COMMAND replaces the image's CMD, as `docker run IMAGE COMMAND` does. --wrap puts a command (run from the
# image's file system, after the user change) before the entrypoint, e.g. a seccomp filter. The container's
# file system is discarded when the command ends. Needs root and buildah.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
IMAGE=localhost/manim-render:test
ENV_ARGS=()
VOLUMES=()
USER_SPEC=
WRAP=
while [ $# -gt 0 ]; do
  case $1 in
    --image) IMAGE=$2; shift 2 ;;
    -e) ENV_ARGS+=("$2"); shift 2 ;;
    -v) VOLUMES+=("$2"); shift 2 ;;
    --user) USER_SPEC=$2; shift 2 ;;
    --wrap) WRAP=$2; shift 2 ;;
    --) shift; break ;;
    -*) echo "run-container: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done

ctr=$(buildah from --pull=never "$IMAGE")
# shellcheck disable=SC2317 # called by the traps
cleanup() { buildah rm "$ctr" >/dev/null 2>&1 || true; }
trap cleanup EXIT
root=$(buildah mount "$ctr")

config_file=$(mktemp)
buildah inspect --type container "$ctr" >"$config_file"
# The image's argv: ENTRYPOINT + (COMMAND or CMD), as NUL-separated words; its environment, one per line, then
# the -e settings; its working directory and user.
argv_file=$(mktemp)
env_file=$(mktemp)
meta=$(python3 - "$config_file" "$argv_file" "$env_file" "$@" <<'PY'
import json, sys
config = json.load(open(sys.argv[1]))["OCIv1"]["config"]
override = sys.argv[4:]
words = (config.get("Entrypoint") or []) + (override or config.get("Cmd") or [])
open(sys.argv[2], "w").write("".join(word + "\0" for word in words))
open(sys.argv[3], "w").write("".join(line + "\n" for line in config.get("Env") or []))
print(config.get("WorkingDir") or "/")
print(config.get("User") or "0")
PY
)
workdir=${meta%%$'\n'*}
image_user=${meta#*$'\n'}
[ ${#ENV_ARGS[@]} -eq 0 ] || printf '%s\n' "${ENV_ARGS[@]}" >>"$env_file"
user=${USER_SPEC:-$image_user}
rm -f "$config_file"

export CONTAINER_ROOT=$root CONTAINER_WORKDIR=$workdir CONTAINER_USER=$user CONTAINER_WRAP=$WRAP
export CONTAINER_ARGV_FILE=$argv_file CONTAINER_ENV_FILE=$env_file CONTAINER_VOLUMES="${VOLUMES[*]}"
# A new mount and PID namespace. unshare itself ignores SIGTERM and SIGINT, so a stop is sent to the container's
# PID 1 (tini, which passes it on to the service); whatever is left after STOP_GRACE_SECONDS is killed with it.
unshare --mount --pid --fork --kill-child=SIGKILL --propagation private bash "$HERE/enter-rootfs.sh" &
child=$!
# shellcheck disable=SC2317 # called by the trap
stop_container() {
  local init
  init=$(pgrep -P "$child" | head -n1)
  [ -n "$init" ] || return 0
  kill -TERM "$init" 2>/dev/null
  ( sleep "${STOP_GRACE_SECONDS:-10}"; kill -KILL "$init" 2>/dev/null ) >/dev/null 2>&1 &
}
trap stop_container TERM INT
set +e
wait "$child"
status=$?
# A signal interrupts the first wait: wait again for the container's own exit.
while kill -0 "$child" 2>/dev/null; do wait "$child"; status=$?; done
rm -f "$argv_file" "$env_file"
exit "$status"
