#!/usr/bin/env bash
# Installs everything the service and its tests need on a Debian machine. Safe to run again:
# each step checks what is already there and does only what is missing.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)

MANIM_VERSION=$(cat python/manim-version.txt)
VENV="${MANIM_VENV:-$ROOT/.venv}"

# System libraries Manim links against, its encoder, the LaTeX subset MathTex needs, and the sandbox tool.
APT_PACKAGES=(
  ffmpeg pkg-config build-essential python3-dev
  libcairo2-dev libpango1.0-dev
  texlive-latex-base texlive-latex-recommended texlive-latex-extra texlive-fonts-recommended dvisvgm
  bubblewrap shellcheck
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
  echo "setup: installing system packages:" $missing
  as_root apt-get update -q
  # shellcheck disable=SC2086 # one package per word
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -q --no-install-recommends $missing
}

install_python_venv() {
  local python=${PYTHON:-python3}
  if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('manim') != '$MANIM_VERSION')" 2>/dev/null; then
    echo "setup: manim $MANIM_VERSION present in $VENV"
    return
  fi
  echo "setup: creating $VENV with manim $MANIM_VERSION"
  "$python" -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip
  "$VENV/bin/pip" install -q -r python/requirements.txt
}

install_node_modules() {
  # npm ci wipes node_modules; skip it when the lock file has not changed since the last install.
  local stamp=node_modules/.package-lock.sha256
  local want
  want=$(sha256sum package-lock.json | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    echo "setup: node modules present"
    return
  fi
  echo "setup: npm ci"
  npm ci --no-audit --no-fund
  printf '%s' "$want" >"$stamp"
}

install_system_packages
install_python_venv
install_node_modules
echo "setup: done"
