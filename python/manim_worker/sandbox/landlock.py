"""Landlock (Linux 5.13+): confines a process and everything it starts to the files it is given, without namespaces.

Used by the sandbox's `landlock` profile (supervisor.py), for hosts that refuse new namespaces (Docker's and
Kubernetes' default seccomp profiles, some managed runtimes). An unprivileged process may restrict itself; the
restriction cannot be undone, by it or by anything it starts. With ABI 6 or later the domain is also scoped:
its processes can signal, and connect to abstract UNIX sockets of, only processes of the same domain.

Standard library only: the syscalls are called through ctypes (x86-64 numbers).
"""

from __future__ import annotations

import ctypes
import os
import struct

SYS_LANDLOCK_CREATE_RULESET = 444
SYS_LANDLOCK_ADD_RULE = 445
SYS_LANDLOCK_RESTRICT_SELF = 446
LANDLOCK_CREATE_RULESET_VERSION = 1
LANDLOCK_RULE_PATH_BENEATH = 1
PR_SET_NO_NEW_PRIVS = 38

# Filesystem access rights, by the ABI that introduced them.
EXECUTE = 1 << 0
WRITE_FILE = 1 << 1
READ_FILE = 1 << 2
READ_DIR = 1 << 3
REMOVE_DIR = 1 << 4
REMOVE_FILE = 1 << 5
MAKE_CHAR = 1 << 6
MAKE_DIR = 1 << 7
MAKE_REG = 1 << 8
MAKE_SOCK = 1 << 9
MAKE_FIFO = 1 << 10
MAKE_BLOCK = 1 << 11
MAKE_SYM = 1 << 12
REFER = 1 << 13  # ABI 2
TRUNCATE = 1 << 14  # ABI 3
IOCTL_DEV = 1 << 15  # ABI 5
FS_BY_ABI = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 4: (1 << 15) - 1, 5: (1 << 16) - 1}
# Network (ABI 4): TCP bind and connect, denied outright (the seccomp filter refuses the sockets too).
NET_BIND_TCP = 1 << 0
NET_CONNECT_TCP = 1 << 1
# Scopes (ABI 6).
SCOPE_ABSTRACT_UNIX_SOCKET = 1 << 0
SCOPE_SIGNAL = 1 << 1

READ_ONLY = EXECUTE | READ_FILE | READ_DIR
#: Character devices a render writes to or reads from (no other device is reachable).
DEVICE = READ_FILE | WRITE_FILE

_libc = ctypes.CDLL(None, use_errno=True)


class LandlockUnavailable(OSError):
    """The kernel has no Landlock, or it is disabled (say at boot), or a runtime's seccomp profile refuses it."""


def abi_version() -> int:
    """The kernel's Landlock ABI, or raises LandlockUnavailable with the kernel's reason."""
    version = _libc.syscall(SYS_LANDLOCK_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(LANDLOCK_CREATE_RULESET_VERSION))
    if version < 0:
        code = ctypes.get_errno()
        raise LandlockUnavailable(code, f"landlock_create_ruleset: {os.strerror(code)}")
    return version


def _fs_rights(abi: int) -> int:
    return FS_BY_ABI.get(abi, (1 << 16) - 1)


def restrict_self(read_only: list[str], writable: list[str], devices: list[str], list_only: list[str] = ()) -> dict:
    """Confines this process (and what it will exec) to reading and executing `read_only`, full access beneath
    `writable`, reading and writing the `devices` files, listing (not reading) `list_only`, and nothing else of the file system; no TCP at all; signals
    and abstract UNIX sockets only within the domain where the ABI has scopes. Sets no_new_privs (required).
    Paths that do not exist are skipped. Returns what was applied."""
    abi = abi_version()
    handled = _fs_rights(abi)
    handled_net = NET_BIND_TCP | NET_CONNECT_TCP if abi >= 4 else 0
    scoped = SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if abi >= 6 else 0
    if abi >= 6:
        attr = struct.pack("QQQ", handled, handled_net, scoped)
    elif abi >= 4:
        attr = struct.pack("QQ", handled, handled_net)
    else:
        attr = struct.pack("Q", handled)
    buf = ctypes.create_string_buffer(attr, len(attr))
    ruleset = _libc.syscall(SYS_LANDLOCK_CREATE_RULESET, buf, ctypes.c_size_t(len(attr)), ctypes.c_uint32(0))
    if ruleset < 0:
        code = ctypes.get_errno()
        raise LandlockUnavailable(code, f"landlock_create_ruleset: {os.strerror(code)}")
    try:
        granted = {"readOnly": _add_all(ruleset, read_only, READ_ONLY & handled),
                   "writable": _add_all(ruleset, writable, handled),
                   "devices": _add_all(ruleset, devices, DEVICE | (TRUNCATE & handled)),
                   "listOnly": _add_all(ruleset, list(list_only), READ_DIR)}
        if _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            code = ctypes.get_errno()
            raise OSError(code, f"PR_SET_NO_NEW_PRIVS: {os.strerror(code)}")
        if _libc.syscall(SYS_LANDLOCK_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0)) != 0:
            code = ctypes.get_errno()
            raise OSError(code, f"landlock_restrict_self: {os.strerror(code)}")
    finally:
        os.close(ruleset)
    return {"abi": abi, "scoped": bool(scoped), "tcpDenied": bool(handled_net), **granted}


def _add_all(ruleset: int, paths: list[str], access: int) -> list[str]:
    added = []
    for path in paths:
        try:
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except (FileNotFoundError, PermissionError):
            continue  # absent, or out of this uid's reach anyway
        try:
            # A file (not a directory) may only be given the rights that apply to files.
            rights = access if os.path.isdir(path) else access & (EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV)
            attr = struct.pack("=Qi", rights, fd)
            buf = ctypes.create_string_buffer(attr, len(attr))
            if _libc.syscall(SYS_LANDLOCK_ADD_RULE, ctypes.c_int(ruleset), ctypes.c_int(LANDLOCK_RULE_PATH_BENEATH), buf, ctypes.c_uint32(0)) != 0:
                code = ctypes.get_errno()
                raise OSError(code, f"landlock_add_rule {path}: {os.strerror(code)}")
            added.append(path)
        finally:
            os.close(fd)
    return added
