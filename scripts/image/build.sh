#!/usr/bin/env bash
# Builds the unchanged Dockerfile into buildah's local store as localhost/manim-render:test (or $IMAGE), on the
# stand-in base images of base-images.sh. Layers are cached in the store between runs (`--layers`), so a build
# after a change to src/ redoes only the stages that copy it. Needs root and buildah.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
IMAGE=${IMAGE:-localhost/manim-render:test}

bash "$ROOT/scripts/image/base-images.sh"

# Where this machine's TLS goes through a proxy with a CA of its own, the build's RUN steps get the host's CA
# bundle (and pip and npm are pointed at it) through read-only mounts, which leave no trace in any layer.
mounts=()
host_bundle=/etc/ssl/certs/ca-certificates.crt
if [ -f "$host_bundle" ]; then
  trust=$(mktemp -d)
  trap 'rm -rf "$trust"' EXIT
  cp "$host_bundle" "$trust/ca.crt"
  printf '[global]\ncert = /run/host-trust/ca.crt\n' >"$trust/pip.conf"
  printf 'cafile=/run/host-trust/ca.crt\n' >"$trust/npmrc"
  chmod -R a+rX "$trust"
  mounts+=(-v "$trust:/run/host-trust:ro" -v "$trust/pip.conf:/etc/pip.conf:ro" -v "$trust/npmrc:/usr/local/etc/npmrc:ro")
fi

cd "$ROOT"
buildah bud --isolation=chroot --layers --pull=never "${mounts[@]}" --tag "$IMAGE" --file Dockerfile . >&2
buildah inspect --type image --format '{{.FromImageID}}' "$IMAGE"
