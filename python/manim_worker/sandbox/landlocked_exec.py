"""The `landlock` profile's side of a sandbox, for hosts that refuse new namespaces: no namespaces at all, only what
an unprivileged process may still do to itself before it executes the worker, in this order:

- a fresh session (its own process group) and, as root, the sandbox's own uid and gid;
- the rlimits of the bubblewrap profile (set here, as there is no prlimit inside a namespace to do it);
- Landlock (landlock.py): the file system read-only where the render must read, read-write in its job directory
  only, nothing else, /proc included; no TCP; with ABI 6 or later, signals and abstract UNIX sockets only within
  the sandbox;
- no_new_privs, then the seccomp filter (seccomp_filter.py: no sockets but AF_UNIX, no namespaces, no ptrace or
  process_vm, ...), loaded last so that it also forbids what came before it.

What namespaces gave the bubblewrap profile and this one does without (SECURITY.md has the matrix): the sandbox's
own PID space (here the supervisor, a subreaper, kills every descendant instead: kill_tree), its own loopback
(here no socket but AF_UNIX can be made, and no TCP even then), its own /tmp tmpfs (here /tmp is not writable; the
worker's TMPDIR is its job directory) and the fixed /job path (here the job directory keeps its host path).
"""

from __future__ import annotations

import ctypes
import os
import resource
import signal

from manim_worker.sandbox import landlock, seccomp_filter
from manim_worker.sandbox.process_tree import descendants

PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
CPU_HARD_GRACE_SECONDS = 5

_libc = ctypes.CDLL(None, use_errno=True)


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def load_seccomp(program: bytes) -> None:
    """Loads a classic-BPF seccomp program into this process (no_new_privs must already be set)."""
    buffer = ctypes.create_string_buffer(program, len(program))
    fprog = _SockFprog(len(program) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    if _libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"seccomp: {os.strerror(code)}")


def _processes_of(uid: int) -> int:
    """Tasks (threads included) the host counts against `uid` now, for RLIMIT_NPROC."""
    count = 0
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/status") as f:
                for line in f:
                    if line.startswith("Uid:") and int(line.split()[1]) == uid:
                        count += len(os.listdir(f"/proc/{name}/task"))
                        break
        except (OSError, ValueError):
            continue
    return count


def confine_and_exec(spec: dict, as_root: bool, before_exec) -> None:
    """In the forked child: becomes the sandbox, then executes the worker. Never returns."""
    os.setsid()
    if as_root:
        uid, gid = spec["uid"], spec["gid"]
        os.setgroups([])
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)
    limits = spec["rlimits"]
    # RLIMIT_NPROC counts every task of the uid on the host: as root the uid is the sandbox's alone; otherwise it
    # is the service's, whose own tasks count too, so the sandbox gets its share on top of what is running now.
    nproc = limits["nproc"] if as_root else _processes_of(os.getuid()) + limits["nproc"]
    resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
    resource.setrlimit(resource.RLIMIT_AS, (limits["as"], limits["as"]))
    resource.setrlimit(resource.RLIMIT_CPU, (limits["cpu"], limits["cpu"] + CPU_HARD_GRACE_SECONDS))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits["fsize"], limits["fsize"]))
    resource.setrlimit(resource.RLIMIT_NOFILE, (limits["nofile"], limits["nofile"]))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    view = spec["landlock"]
    landlock.restrict_self(view["readOnly"], [spec["workDir"]], view["devices"], view.get("listOnly", []))
    load_seccomp(seccomp_filter.build_filter())
    os.chdir(spec["workDir"])
    before_exec()
    run = spec["exec"]
    os.execve(run["command"], [run["command"], *run["args"]], run["env"])


def kill_tree(root_pid: int, rounds: int = 50) -> int:
    """SIGKILLs every descendant of `root_pid` (the supervisor, a subreaper, so orphans stay below it), again until
    none is left (a fork bomb adds processes while it is being killed; its rlimit bounds it). Returns how many."""
    killed = 0
    for _ in range(rounds):
        found = descendants(root_pid)
        if not found:
            return killed
        for pid in found:
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except ProcessLookupError:
                pass
    return killed
