"""Runs a command on a host made to refuse what a sandbox profile must live without (test support only).

    python3 restricted_host.py no-userns -- CMD...        # in a user namespace (uids 0-65535 mapped to themselves)
                                                           # whose user.max_user_namespaces is 0: no new ones
    python3 restricted_host.py docker-seccomp [--uid N] -- CMD...
                                                           # under a seccomp filter like Docker's default profile
                                                           # (unshare, setns and clone's namespace flags: EPERM)

The command's exit status is passed on; SIGTERM and SIGINT are forwarded to it.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))

from manim_worker.sandbox.landlocked_exec import load_seccomp  # noqa: E402
from manim_worker.sandbox.seccomp_filter import (  # noqa: E402
    AUDIT_ARCH_X86_64, CLONE_NEW_NAMESPACES, JMP_JEQ_K, JMP_JSET_K, LD_W_ABS, OFFSET_ARCH, OFFSET_ARG0_LOW, OFFSET_NR,
    RET_ALLOW, RET_ERRNO, RET_K,
)

CLONE_NEWUSER = 0x10000000
PR_SET_NO_NEW_PRIVS = 38
libc = ctypes.CDLL(None, use_errno=True)


def _insn(code: int, jt: int, jf: int, k: int) -> bytes:
    import struct

    return struct.pack("HBBI", code, jt, jf, k)


def docker_like_filter() -> bytes:
    """unshare(2) and setns(2) refused, clone(2) refused with any namespace flag, the rest allowed: what Docker's
    default profile does to a process without CAP_SYS_ADMIN."""
    import errno

    eperm = RET_ERRNO | errno.EPERM
    unshare, setns, clone, clone3 = 272, 308, 56, 435
    return b"".join(
        [
            _insn(LD_W_ABS, 0, 0, OFFSET_ARCH),
            _insn(JMP_JEQ_K, 1, 0, AUDIT_ARCH_X86_64),
            _insn(RET_K, 0, 0, RET_ALLOW),
            _insn(LD_W_ABS, 0, 0, OFFSET_NR),
            _insn(JMP_JEQ_K, 0, 1, unshare),
            _insn(RET_K, 0, 0, eperm),
            _insn(JMP_JEQ_K, 0, 1, setns),
            _insn(RET_K, 0, 0, eperm),
            # clone3's flags sit behind a pointer: Docker answers ENOSYS, so the C library falls back to clone.
            _insn(JMP_JEQ_K, 0, 1, clone3),
            _insn(RET_K, 0, 0, RET_ERRNO | errno.ENOSYS),
            _insn(JMP_JEQ_K, 0, 3, clone),
            _insn(LD_W_ABS, 0, 0, OFFSET_ARG0_LOW),
            _insn(JMP_JSET_K, 0, 1, CLONE_NEW_NAMESPACES),
            _insn(RET_K, 0, 0, eperm),
            _insn(RET_K, 0, 0, RET_ALLOW),
        ]
    )


def run(argv: list[str]) -> None:
    child = os.fork()
    if child == 0:
        os.execvp(argv[0], argv)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda signum, _f: os.kill(child, signum))
    while True:
        try:
            _, status = os.waitpid(child, 0)
            break
        except InterruptedError:
            continue
    sys.exit(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))


def no_userns(argv: list[str]) -> None:
    ready_r, ready_w = os.pipe()
    mapped_r, mapped_w = os.pipe()
    child = os.fork()
    if child == 0:
        if libc.unshare(CLONE_NEWUSER) != 0:
            sys.exit(f"unshare: {os.strerror(ctypes.get_errno())}")
        os.write(ready_w, b"1")
        os.read(mapped_r, 1)
        os.setresgid(0, 0, 0)
        os.setresuid(0, 0, 0)
        with open("/proc/sys/user/max_user_namespaces", "w") as f:
            f.write("0")
        run(argv)
    os.read(ready_r, 1)
    for name in ("uid_map", "gid_map"):
        with open(f"/proc/{child}/{name}", "w") as f:
            f.write("0 0 65536\n")
    os.write(mapped_w, b"1")
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda signum, _f: os.kill(child, signum))
    _, status = os.waitpid(child, 0)
    sys.exit(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))


def docker_seccomp(argv: list[str], uid: int | None) -> None:
    if uid is not None:
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        sys.exit("no_new_privs refused")
    load_seccomp(docker_like_filter())
    run(argv)


def main() -> None:
    args = sys.argv[1:]
    split = args.index("--")
    mode, options, argv = args[0], args[1:split], args[split + 1 :]
    if mode == "no-userns":
        no_userns(argv)
    elif mode == "docker-seccomp":
        docker_seccomp(argv, int(options[options.index("--uid") + 1]) if "--uid" in options else None)
    else:
        sys.exit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
