#!/usr/bin/env bash
# Installs everything the service and its tests need on a Debian machine. Safe to run again:
# each step checks what is already there and does only what is missing.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)

VENV="${MANIM_VENV:-$ROOT/.venv}"

# System libraries Manim links against, its encoder, the LaTeX subset MathTex needs, and the sandbox tool.
APT_PACKAGES=(
  ffmpeg pkg-config build-essential python3-dev python3-venv
  libcairo2-dev libpango1.0-dev
  texlive-latex-base texlive-latex-recommended texlive-latex-extra texlive-fonts-recommended dvisvgm
  # Text in every script: Noto for CJK, Arabic, Hebrew, Devanagari and the rest; Symbola's outline emoji (Manim
  # draws Text from the glyphs' outlines, so a colour-bitmap emoji font would draw nothing). The image has the same.
  fonts-dejavu-core fonts-noto-core fonts-noto-cjk fonts-symbola
  bubblewrap shellcheck
  # `npm run test:image`: stand-in base images and the image build, with no Docker engine.
  buildah mmdebstrap
  # The browser tests (test/browser/): the playground page in a real headless Chromium, driven by playwright-core.
  chromium
)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing_apt_packages() {
  local pkg
  for pkg in "${APT_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
      printf '%s\n' "$pkg"
    fi
  done
}

install_system_packages() {
  local missing
  missing=$(missing_apt_packages)
  if [ -z "$missing" ]; then
    echo "setup: system packages present"
    return
  fi
  echo "setup: installing system packages: ${missing//$'\n'/ }"
  as_root apt-get update -q
  # shellcheck disable=SC2086 # one package per word
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -q --no-install-recommends $missing
}

install_python_venv() {
  # The venv is rebuilt whenever python/requirements.txt changes (its hash is kept inside the venv).
  # Debian's own interpreter where there is one, as in the image; and a sandbox that runs as a uid of its own
  # without a mount namespace (the landlock profile) must be able to reach it, which one under /root is not.
  local python=${PYTHON:-$(command -v /usr/bin/python3 || command -v python3)}
  local stamp="$VENV/.requirements.sha256"
  local want
  want=$( (cat python/requirements.txt; readlink -f "$python") | sha256sum | cut -d' ' -f1)
  if [ -x "$VENV/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    echo "setup: python venv present ($VENV)"
    return
  fi
  echo "setup: creating $VENV from python/requirements.txt"
  rm -rf "$VENV"
  "$python" -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check -r python/requirements.txt
  "$VENV/bin/python" -c "import manim, cairo, manimpango" >/dev/null
  printf '%s' "$want" >"$stamp"
}

install_node_modules() {
  # Installs exactly what package-lock.json records, and only when it changed since the last install.
  # (Not `npm ci`: it rejects a lock that leaves out other platforms' optional binaries, which this one
  # must, as the registry serves none of them here.)
  local stamp=node_modules/.package-lock.sha256
  local want
  want=$(sha256sum package-lock.json | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    echo "setup: node modules present"
    return
  fi
  echo "setup: npm install (from package-lock.json)"
  npm install --no-audit --no-fund --no-save
  printf '%s' "$want" >"$stamp"
}

install_example_modules() {
  # examples/nextjs: its own packages (a pinned Next.js), for the browser test that builds and drives it.
  local stamp=examples/nextjs/node_modules/.package-lock.sha256
  local want
  want=$(sha256sum examples/nextjs/package-lock.json | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    echo "setup: examples/nextjs modules present"
    return
  fi
  echo "setup: npm install in examples/nextjs (from its package-lock.json)"
  (cd examples/nextjs && npm install --no-audit --no-fund --no-save)
  printf '%s' "$want" >"$stamp"
}

install_emulators() {
  # The Google Cloud emulators the gcp-mode tests and `npm run start:emulated` run against.
  bash scripts/setup-emulators.sh
}

install_system_packages
install_python_venv
install_node_modules
install_example_modules
install_emulators
echo "setup: done"
