#!/bin/sh
# The image's entrypoint, under tini. Started as root (the image's default user), it keeps root only for the
# roles that run sandboxes (renderer, and local mode's single process), which give each sandbox a uid of its
# own; the ingress runs untrusted requests but no untrusted code, so it drops to the unprivileged `manim` user
# with no capabilities left. Started as any other user, it changes nothing.
set -eu
if [ "$(id -u)" = 0 ] && [ "${ROLE:-}" = ingress ]; then
  exec setpriv --reuid=manim --regid=manim --clear-groups --inh-caps=-all --bounding-set=-all --no-new-privs -- "$@"
fi
exec "$@"
