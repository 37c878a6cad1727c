# shellcheck shell=bash
# shellcheck disable=SC2034 # host, port and args_used are this library's results, read by the scripts that source it
# Sourced by the start scripts: the emulator's address, from an optional HOST:PORT first argument or a default.

# parse_address SCRIPT DEFAULT [ARGS...]: sets host, port, and args_used (1 when the first argument was the
# address, for the caller to `shift`). Exits 2 on anything that is not HOST:PORT.
parse_address() {
  local name=$1 addr=$2
  shift 2
  args_used=0
  if [[ $# -gt 0 && "$1" != -* ]]; then
    addr=$1
    args_used=1
  fi
  addr=${addr#http://}
  addr=${addr%/}
  host=${addr%:*}
  port=${addr##*:}
  if [[ -z "$host" || "$host" == "$addr" || ! "$port" =~ ^[0-9]+$ ]]; then
    echo "$name: expected HOST:PORT, got '$addr'" >&2
    exit 2
  fi
}

# require_binary SCRIPT PATH: exits 1, saying how to get it, when an emulator binary is missing.
require_binary() {
  if [[ ! -x "$2" ]]; then
    echo "$1: $2 not found; run scripts/setup-emulators.sh" >&2
    exit 1
  fi
}
