"""Runs inside a sandbox at the renderer's start and reports what it can observe from there, as one JSON line.

The renderer decides from this which sandbox layers are really in force on this host (src/renderer/sandbox/).
Arguments: paths that must not be visible inside the sandbox.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import resource
import socket
import sys

CLONE_NEWUSER = 0x10000000
LIMITS = {
    "AS": resource.RLIMIT_AS,
    "CPU": resource.RLIMIT_CPU,
    "FSIZE": resource.RLIMIT_FSIZE,
    "NOFILE": resource.RLIMIT_NOFILE,
    "NPROC": resource.RLIMIT_NPROC,
}


def _errno_of(action) -> str:
    try:
        action()
        return "allowed"
    except OSError as exc:
        return errno.errorcode.get(exc.errno or 0, str(exc.errno))


def _unshare_user() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWUSER) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))


def main() -> None:
    status = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            status[key] = value.strip()
    with open("/proc/net/dev") as f:
        interfaces = [line.split(":")[0].strip() for line in f.readlines()[2:]]
    with open("/proc/1/environ", "rb") as f:
        pid1_environ = len(f.read())
    tmp = os.statvfs("/tmp")
    # The renderer reads this file's owner on the host: the uid the sandbox really runs as out there, which
    # /proc/self/uid_map cannot tell through nested user namespaces.
    with open("probe-owner", "w") as f:
        f.write("probe")
    report = {
        "pid": os.getpid(),
        "uid": os.getuid(),
        "capEff": int(status.get("CapEff", "ffffffff"), 16),
        "noNewPrivs": status.get("NoNewPrivs") == "1",
        "seccompMode": int(status.get("Seccomp", "0")),
        "inetSocket": _errno_of(lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM).close()),
        "unixSocket": _errno_of(lambda: socket.socket(socket.AF_UNIX, socket.SOCK_STREAM).close()),
        "newUserNamespace": _errno_of(_unshare_user),
        "netInterfaces": interfaces,
        "environKeys": sorted(os.environ),
        "pid1EnvironBytes": pid1_environ,
        "rlimits": {name: resource.getrlimit(limit)[0] for name, limit in LIMITS.items()},
        "tmpBytes": tmp.f_blocks * tmp.f_frsize,
        "rootWritable": os.access("/", os.W_OK),
        "visible": [path for path in sys.argv[1:] if os.path.lexists(path)],
    }
    print(json.dumps({"inside": report}), flush=True)


if __name__ == "__main__":
    main()
