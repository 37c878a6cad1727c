#!/usr/bin/env bash
# Installs (or checks) the three Google Cloud emulators used by the tests and
# by `npm run start:emulated`:
#
#   * fake-gcs-server      (Cloud Storage)  -> $ROOT/.tools/bin/fake-gcs-server
#   * cloud-tasks-emulator (Cloud Tasks)    -> $ROOT/.tools/bin/cloud-tasks-emulator
#   * toxiproxy            (fault proxy)    -> $ROOT/.tools/bin/toxiproxy-server
#   * Cloud Firestore emulator (a jar shipped with the Google Cloud CLI; it is
#     only located and recorded here, never downloaded)
#
# Idempotent: a re-run with everything present and matching the pins below does
# nothing. Changing a pin makes the next run rebuild that binary.
#
# The start scripts live in scripts/emulators/; see scripts/emulators/README.md.
#
# Environment:
#   FIRESTORE_EMULATOR_JAR  path to cloud-firestore-emulator.jar (optional;
#                           otherwise searched in the Google Cloud CLI install)
#   FORCE=1                 rebuild/re-record everything even if stamps match
set -euo pipefail

# ---- pins --------------------------------------------------------------------
FAKE_GCS_MODULE="github.com/fsouza/fake-gcs-server"
FAKE_GCS_VERSION="v1.56.1"
TASKS_MODULE="github.com/aertje/cloud-tasks-emulator"
TASKS_VERSION="v1.2.0"
# The fault proxy the chaos suite puts between the services and each emulator (test/chaos/).
TOXIPROXY_MODULE="github.com/Shopify/toxiproxy/v2"
TOXIPROXY_VERSION="v2.5.0"
# Not pinned (it comes with the installed Google Cloud CLI): the version the
# scripts and README were verified with. Another version only warns.
FIRESTORE_TESTED_VERSION="1.19.9"
FIRESTORE_MIN_JAVA=11
# -----------------------------------------------------------------------------

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_DIR="$ROOT/.tools"
BIN_DIR="$TOOLS_DIR/bin"
STAMP_DIR="$TOOLS_DIR/stamps"
FORCE="${FORCE:-0}"

log() { printf '[setup-emulators] %s\n' "$*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}

# stamp_matches NAME EXPECTED: true when the stamp file holds exactly EXPECTED.
stamp_matches() {
  local file="$STAMP_DIR/$1"
  [[ "$FORCE" != "1" && -f "$file" && "$(cat "$file")" == "$2" ]]
}

write_stamp() {
  mkdir -p "$STAMP_DIR"
  printf '%s\n' "$2" >"$STAMP_DIR/$1.tmp"
  mv -f "$STAMP_DIR/$1.tmp" "$STAMP_DIR/$1"
}

ensure_go() {
  if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then
    PATH="/usr/local/go/bin:$PATH"
  fi
  command -v go >/dev/null 2>&1 ||
    die "Go toolchain not found (needed to build fake-gcs-server and cloud-tasks-emulator)."
  if [[ -z "$SCRATCH" ]]; then
    SCRATCH="$(mktemp -d)"
  fi
}

# Go commands run in a scratch directory so no go.mod/go.work of the caller
# interferes. Created lazily by ensure_go (not in a subshell).
SCRATCH=""
cleanup() {
  if [[ -n "$SCRATCH" ]]; then
    rm -rf "$SCRATCH"
  fi
}
trap cleanup EXIT

install_fake_gcs() {
  local bin="$BIN_DIR/fake-gcs-server" want="$FAKE_GCS_MODULE@$FAKE_GCS_VERSION"
  if [[ -x "$bin" ]] && stamp_matches fake-gcs-server "$want"; then
    log "fake-gcs-server $FAKE_GCS_VERSION already installed"
    return
  fi
  ensure_go
  log "installing $want (go install; first build takes ~1-2 min)"
  rm -f "$STAMP_DIR/fake-gcs-server"
  mkdir -p "$BIN_DIR"
  (cd "$SCRATCH" && GOWORK=off GOFLAGS=-buildvcs=false GOBIN="$BIN_DIR" go install "$want") ||
    die "go install $want failed"
  [[ -x "$bin" ]] || die "go install $want did not produce $bin"
  write_stamp fake-gcs-server "$want"
}

install_tasks_emulator() {
  local bin="$BIN_DIR/cloud-tasks-emulator" want="$TASKS_MODULE@$TASKS_VERSION"
  if [[ -x "$bin" ]] && stamp_matches cloud-tasks-emulator "$want"; then
    log "cloud-tasks-emulator $TASKS_VERSION already installed"
    return
  fi
  ensure_go
  rm -f "$STAMP_DIR/cloud-tasks-emulator"
  mkdir -p "$BIN_DIR"
  log "installing $want"
  # `go install module@version` first reads the module's version list to look
  # for a deprecation notice; the module proxy reachable here answers 403 for
  # that list (single versions download fine), so fall back to downloading the
  # pinned version and building it from the module cache (same source, same
  # go.sum verification).
  if (cd "$SCRATCH" && GOWORK=off GOFLAGS=-buildvcs=false GOBIN="$BIN_DIR" go install "$want") 2>/dev/null; then
    :
  else
    log "go install failed (this module proxy refuses the module's version list); building from the module cache"
    local json dir
    json="$(cd "$SCRATCH" && GOWORK=off go mod download -json "$want")" ||
      die "go mod download $want failed"
    dir="$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' | head -n 1)"
    [[ -n "$dir" && -d "$dir" ]] || die "could not find the module directory of $want"
    (cd "$dir" && GOWORK=off GOFLAGS="-buildvcs=false -mod=readonly" go build -trimpath -o "$bin.tmp" .) ||
      die "go build of $want failed"
    mv -f "$bin.tmp" "$bin"
  fi
  [[ -x "$bin" ]] || die "installing $want did not produce $bin"
  write_stamp cloud-tasks-emulator "$want"
}

install_toxiproxy() {
  local bin="$BIN_DIR/toxiproxy-server" want="$TOXIPROXY_MODULE@$TOXIPROXY_VERSION"
  if [[ -x "$bin" ]] && stamp_matches toxiproxy-server "$want"; then
    log "toxiproxy $TOXIPROXY_VERSION already installed"
    return
  fi
  ensure_go
  rm -f "$STAMP_DIR/toxiproxy-server"
  mkdir -p "$BIN_DIR"
  log "installing $want (its server command)"
  local json dir
  json="$(cd "$SCRATCH" && GOWORK=off go mod download -json "$want")" || die "go mod download $want failed"
  dir="$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' | head -n 1)"
  [[ -n "$dir" && -d "$dir" ]] || die "could not find the module directory of $want"
  (cd "$dir" && GOWORK=off GOFLAGS="-buildvcs=false -mod=readonly" go build -trimpath -o "$bin.tmp" ./cmd/server) ||
    die "go build of $want failed"
  mv -f "$bin.tmp" "$bin"
  write_stamp toxiproxy-server "$want"
}

find_firestore_jar() {
  local rel="platform/cloud-firestore-emulator/cloud-firestore-emulator.jar" sdk candidate
  if [[ -n "${FIRESTORE_EMULATOR_JAR:-}" ]]; then
    [[ -f "$FIRESTORE_EMULATOR_JAR" ]] || die "FIRESTORE_EMULATOR_JAR=$FIRESTORE_EMULATOR_JAR does not exist"
    printf '%s' "$FIRESTORE_EMULATOR_JAR"
    return 0
  fi
  for sdk in /usr/lib/google-cloud-sdk /usr/share/google-cloud-sdk /opt/google-cloud-sdk "${HOME:-/root}/google-cloud-sdk"; do
    candidate="$sdk/$rel"
    if [[ -f "$candidate" ]]; then
      printf '%s' "$candidate"
      return 0
    fi
  done
  if command -v gcloud >/dev/null 2>&1; then
    sdk="$(gcloud info --format='value(installation.sdk_root)' 2>/dev/null || true)"
    if [[ -n "$sdk" && -f "$sdk/$rel" ]]; then
      printf '%s' "$sdk/$rel"
      return 0
    fi
  fi
  return 1
}

java_major() {
  # `java -version` prints e.g.: openjdk version "17.0.15" 2025-04-15 (or "1.8.0_392")
  local v
  v="$(java -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p' | head -n 1)"
  v="${v#1.}"
  printf '%s' "${v%%[.+-]*}"
}

check_firestore() {
  local jar
  if ! jar="$(find_firestore_jar)"; then
    log "ERROR: the Cloud Firestore emulator (cloud-firestore-emulator.jar) was not found."
    log "  It ships with the Google Cloud CLI as the component 'cloud-firestore-emulator'"
    log "  (Debian/Ubuntu package 'google-cloud-cli-firestore-emulator' from Google's apt"
    log "  repository, or 'gcloud components install cloud-firestore-emulator' for a"
    log "  tarball install). Both download from Google's servers, which this machine cannot"
    log "  reach (only package registries are reachable; Debian's own archive does not carry"
    log "  it), so this script does not try. Install it where that is possible, or point"
    log "  FIRESTORE_EMULATOR_JAR at an existing cloud-firestore-emulator.jar."
    exit 1
  fi
  command -v java >/dev/null 2>&1 || die "java not found: the Firestore emulator needs Java >= $FIRESTORE_MIN_JAVA (apt-get install -y openjdk-17-jre-headless)"
  local major
  major="$(java_major)"
  [[ "$major" =~ ^[0-9]+$ ]] || die "could not parse the Java version from 'java -version'"
  ((major >= FIRESTORE_MIN_JAVA)) || die "Java $major found; the Firestore emulator needs Java >= $FIRESTORE_MIN_JAVA"

  # Key the stamp on the jar's path, size and mtime so the (fast) version probe
  # only runs again when the jar changed.
  local key
  key="$jar $(stat -c '%s %Y' "$jar")"
  if stamp_matches firestore-emulator.key "$key" && [[ -f "$STAMP_DIR/firestore-emulator.env" ]]; then
    log "Firestore emulator already recorded ($(sed -n 's/^FIRESTORE_EMULATOR_VERSION=//p' "$STAMP_DIR/firestore-emulator.env"), $jar)"
    return
  fi
  local version
  version="$(java -Duser.language=en -cp "$jar" com.google.cloud.datastore.emulator.firestore.CloudFirestore start --version 2>&1 |
    sed -n 's/^cloud-firestore-emulator \([0-9][0-9.]*\).*/\1/p' | head -n 1)" || true
  [[ -n "$version" ]] || die "$jar did not answer --version; is it a Cloud Firestore emulator jar?"
  if [[ "$version" != "$FIRESTORE_TESTED_VERSION" ]]; then
    log "WARNING: Firestore emulator $version found; scripts/emulators/README.md was verified with $FIRESTORE_TESTED_VERSION"
  fi
  write_stamp firestore-emulator.env "$(printf 'FIRESTORE_EMULATOR_JAR=%s\nFIRESTORE_EMULATOR_VERSION=%s' "$jar" "$version")"
  write_stamp firestore-emulator.key "$key"
  log "Firestore emulator $version found at $jar (Java $major)"
}

main() {
  mkdir -p "$BIN_DIR" "$STAMP_DIR"
  install_fake_gcs
  install_tasks_emulator
  install_toxiproxy
  check_firestore
  log "done: binaries in $BIN_DIR, stamps in $STAMP_DIR"
}

main "$@"
