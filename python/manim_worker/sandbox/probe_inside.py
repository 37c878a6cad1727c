"""Runs inside a sandbox at the renderer's start and reports what it can observe from there, as one JSON line.

The renderer decides from this which sandbox layers are really in force on this host (src/renderer/sandbox/).
Arguments: paths that must not be visible (bubblewrap profile) or readable (landlock profile) inside the sandbox.
It reads nothing of /proc it does not have to: under the landlock profile /proc is not readable at all.
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
PR_GET_SECCOMP = 21
PR_GET_NO_NEW_PRIVS = 39
SYS_CAPGET = 125
SYS_LANDLOCK_CREATE_RULESET = 444
LIMITS = {
    "AS": resource.RLIMIT_AS,
    "CPU": resource.RLIMIT_CPU,
    "FSIZE": resource.RLIMIT_FSIZE,
    "NOFILE": resource.RLIMIT_NOFILE,
    "NPROC": resource.RLIMIT_NPROC,
}
_libc = ctypes.CDLL(None, use_errno=True)


def _errno_of(action) -> str:
    try:
        action()
        return "allowed"
    except OSError as exc:
        return errno.errorcode.get(exc.errno or 0, str(exc.errno))


def _unshare_user() -> None:
    if _libc.unshare(CLONE_NEWUSER) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))


def _effective_capabilities() -> int:
    """capget(2), version 3: the effective set, without reading /proc."""
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)
    data = (ctypes.c_uint32 * 6)()
    if _libc.syscall(SYS_CAPGET, header, data) != 0:
        return -1
    return data[0] | (data[3] << 32)


def _read(path: str, limit: int = 1 << 16) -> bytes | None:
    try:
        with open(path, "rb") as f:
            return f.read(limit)
    except OSError:
        return None


def _readable(path: str) -> bool:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return False
    os.close(fd)
    return True


def _can_create_in(directory: str) -> bool:
    target = os.path.join(directory, f".probe-write-{os.getpid()}")
    try:
        with open(target, "w"):
            pass
    except OSError:
        return False
    os.unlink(target)
    return True


def _landlock_abi() -> int:
    return _libc.syscall(SYS_LANDLOCK_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(1))


def main() -> None:
    hidden = sys.argv[1:]
    net_dev = _read("/proc/net/dev")
    pid1_environ = _read("/proc/1/environ")
    tmp = os.statvfs("/tmp")
    # The renderer reads this file's owner on the host: the uid the sandbox really runs as out there, which
    # /proc/self/uid_map cannot tell through nested user namespaces.
    with open("probe-owner", "w") as f:
        f.write("probe")
    report = {
        "pid": os.getpid(),
        "uid": os.getuid(),
        "capEff": _effective_capabilities(),
        "noNewPrivs": _libc.prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1,
        "seccompMode": _libc.prctl(PR_GET_SECCOMP, 0, 0, 0, 0),
        "inetSocket": _errno_of(lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM).close()),
        "unixSocket": _errno_of(lambda: socket.socket(socket.AF_UNIX, socket.SOCK_STREAM).close()),
        "newUserNamespace": _errno_of(_unshare_user),
        "netInterfaces": None if net_dev is None else [line.split(":")[0].strip() for line in net_dev.decode().splitlines()[2:]],
        "environKeys": sorted(os.environ),
        "pid1EnvironBytes": None if pid1_environ is None else len(pid1_environ),
        "procReadable": _read("/proc/1/cmdline") is not None or _readable("/proc/self/status"),
        "signalParent": _errno_of(lambda: os.kill(os.getppid(), 0)),
        "landlockAbi": _landlock_abi(),
        "rlimits": {name: resource.getrlimit(limit)[0] for name, limit in LIMITS.items()},
        "tmpBytes": tmp.f_blocks * tmp.f_frsize,
        "rootWritable": os.access("/", os.W_OK),
        "visible": [path for path in hidden if os.path.lexists(path)],
        "readable": [path for path in hidden if _readable(path)],
        # The hidden paths' directories that let a file be made in them (there must be none).
        "writableOutside": sorted(d for d in {os.path.dirname(path) for path in hidden} if _can_create_in(d)),
        "tmpWritable": _can_create_in("/tmp"),
    }
    print(json.dumps({"inside": report}), flush=True)


if __name__ == "__main__":
    main()
