"""The user namespace a sandbox runs in when the service runs as root.

bubblewrap started by root maps the sandbox's uid to host root, and the kernel exempts host root from
RLIMIT_NPROC; bubblewrap started by an unprivileged uid cannot reach bind sources under directories only root may
enter (a pyenv Python under /root, a DATA_DIR created 0700). So root prepares the namespace instead:

- a helper switches to the sandbox uid and unshares a user namespace, which that uid then owns;
- root writes its maps: the sandbox uid to itself, and 0 to 0, so that bubblewrap (running as the sandbox uid,
  with full capabilities inside the namespace it owns, and only there) may read root-owned directories while it
  builds the sandbox; after that it drops every capability and nothing in the sandbox can become uid 0 again
  (no capabilities, no_new_privs, every mount nosuid);
- the helper sets the namespace's own user-namespace limit to 0, so nothing inside can create another one
  (bubblewrap's --assert-userns-disabled checks it before running the worker);
- bubblewrap joins it with `--userns FD`.

Processes of the sandbox are then the sandbox uid on the host too: RLIMIT_NPROC holds, counted per namespace.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os

CLONE_NEWUSER = 0x10000000
PR_SET_DUMPABLE = 4

_libc = ctypes.CDLL(None, use_errno=True)


MAX_USER_NAMESPACES = "/proc/sys/user/max_user_namespaces"


def can_limit_nested() -> bool:
    """Whether this kernel has the per-namespace limit that disables nested user namespaces (gVisor has not)."""
    return os.path.exists(MAX_USER_NAMESPACES)


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


_CAPABILITY_VERSION_3 = 0x20080522


def _raise_effective_to_permitted() -> None:
    header = _CapHeader(_CAPABILITY_VERSION_3, 0)
    data = (_CapData * 2)()
    if _libc.capget(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capget")
    for half in data:
        half.effective = half.permitted
    if _libc.capset(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capset")


def _open_as_owner(pid: int, uid: int):
    """Opens the helper's uid and gid maps and its namespace with the namespace owner's uid as the effective uid
    and root's capabilities still effective. The kernel checks the opener's credentials: CAP_SYS_ADMIN (maps) and
    CAP_SYS_PTRACE (the namespace of a process of another uid) in the new namespace, which its owner has from the
    parent namespace even where the container's root lacks both, as under Docker's default capabilities; and
    CAP_SETUID, CAP_SETGID and CAP_SETFCAP in the parent, which root keeps."""
    os.setresuid(0, uid, 0)  # real and saved uid stay 0, so the permitted set is kept; the effective one is cleared
    try:
        _raise_effective_to_permitted()
        with contextlib.ExitStack() as opened:  # closes what was opened if a later open fails
            uid_map = opened.enter_context(open(f"/proc/{pid}/uid_map", "w"))
            gid_map = opened.enter_context(open(f"/proc/{pid}/gid_map", "w"))
            namespace = os.open(f"/proc/{pid}/ns/user", os.O_RDONLY | os.O_CLOEXEC)
            opened.pop_all()
    finally:
        os.setresuid(0, 0, 0)  # effective uid 0 again: the kernel restores the effective set from the permitted
    return uid_map, gid_map, namespace


def create_user_namespace(uid: int, gid: int, seccomp_denies_nested: bool = False) -> tuple[int, bool]:
    """Returns an fd of a new user namespace owned by `uid`, mapping uid/gid and 0 to themselves, and whether its
    own limit of nested user namespaces was set to 0. Where the kernel has no such limit (gVisor), the namespace is
    still made if `seccomp_denies_nested` (the sandbox's filter refuses unshare, setns and clone's namespace flags,
    which the probe checks from inside); otherwise that is an error."""
    if uid == 0 or gid == 0:
        raise ValueError("the sandbox uid and gid must not be 0")
    ready_r, ready_w = os.pipe()
    go_r, go_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the helper
        code = 1
        try:
            os.close(ready_r)
            os.close(go_w)
            os.setgroups([])
            os.setresgid(gid, gid, gid)
            os.setresuid(uid, uid, uid)
            # The uid change made the helper undumpable, and opening the namespace of an undumpable process takes
            # CAP_SYS_PTRACE, which a container's root may lack (Docker's default capabilities do). It exits as
            # soon as root has its namespace.
            _libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)
            if _libc.unshare(CLONE_NEWUSER) != 0:
                os.write(ready_w, b"E" + str(ctypes.get_errno()).encode())
                os._exit(1)
            os.write(ready_w, b"R")
            if os.read(go_r, 1) == b"G":
                try:
                    with open(MAX_USER_NAMESPACES, "w") as f:
                        f.write("0")
                    code = 0
                except OSError:
                    code = 3
        finally:
            os._exit(code)
    os.close(ready_w)
    os.close(go_r)
    try:
        answer = os.read(ready_r, 16)
        if answer != b"R":
            code = int(answer[1:] or b"0") if answer.startswith(b"E") else 0
            name = errno.errorcode.get(code, str(code))
            raise OSError(code, f"unshare(CLONE_NEWUSER) as uid {uid}: {name} ({os.strerror(code)})")
        try:
            uid_map, gid_map, fd = _open_as_owner(pid, uid)
            with uid_map:
                uid_map.write(f"0 0 1\n{uid} {uid} 1\n")
            with gid_map:
                gid_map.write(f"0 0 1\n{gid} {gid} 1\n")
        except OSError as exc:
            raise OSError(exc.errno, f"writing the uid map of the sandbox's user namespace: {os.strerror(exc.errno or 0)}") from exc
        os.write(go_w, b"G")
    finally:
        os.close(ready_r)
        os.close(go_w)
        _, status = os.waitpid(pid, 0)
    if status == 3 << 8 and seccomp_denies_nested:
        return fd, False
    if status != 0:
        os.close(fd)
        raise OSError("could not disable nested user namespaces in the sandbox's namespace (no user.max_user_namespaces, and no seccomp filter)")
    return fd, True
