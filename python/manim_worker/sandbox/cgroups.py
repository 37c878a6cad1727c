"""Cgroups per sandbox, where the container may create them: pids (a task limit for the whole sandbox, whatever
uid its tasks run as) and memory (a limit on the whole tree's memory, where RLIMIT_AS bounds each process only).

Both work with cgroup v2 (one directory, where the service's own cgroup delegates the controllers) and with v1
(one directory per hierarchy). Where cgroups are read-only (most managed containers) the sandbox relies on
RLIMIT_NPROC, counted per user namespace, and RLIMIT_AS per process.
"""

from __future__ import annotations

import os
import signal
import time

PREFIX = "manim-render-sandbox-"
CONTROLLERS = ("pids", "memory")


def _own_paths() -> dict[str, str]:
    """This process's cgroup path per controller ('' is the v2 unified hierarchy)."""
    paths: dict[str, str] = {}
    with open("/proc/self/cgroup") as f:
        for line in f:
            _, controllers, path = line.rstrip("\n").split(":", 2)
            for name in controllers.split(","):
                paths[name] = path
    return paths


def _mounts() -> dict[str, str]:
    """Mount points per v1 controller, and '' for cgroup2."""
    found: dict[str, str] = {}
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, right = line.split(" - ", 1)
            mount_point = left.split()[4]
            fstype, _source, options = right.split()[:3]
            if fstype == "cgroup2":
                found.setdefault("", mount_point)
            elif fstype == "cgroup":
                for name in options.split(","):
                    if name in CONTROLLERS:
                        found.setdefault(name, mount_point)
    return found


def _parents() -> dict[str, str]:
    """Per controller, the directory where this process may create a child cgroup using it."""
    mounts, own = _mounts(), _own_paths()
    parents: dict[str, str] = {}
    for name in CONTROLLERS:
        if name in mounts and name in own:
            parents[name] = os.path.join(mounts[name], own[name].lstrip("/"))
    if "" in mounts and "" in own:
        base = os.path.join(mounts[""], own[""].lstrip("/"))
        try:
            with open(os.path.join(base, "cgroup.controllers")) as f:
                delegated = f.read().split()
        except OSError:
            delegated = []
        for name in CONTROLLERS:
            if name not in parents and name in delegated:
                parents[name] = base
    return parents


class SandboxCgroups:
    """One sandbox's cgroups: created with their limits, joined by the sandbox's first process, removed at the end."""

    def __init__(self) -> None:
        self.dirs: dict[str, str] = {}  # controller -> cgroup directory (v2: the same for both)
        self.errors: dict[str, str] = {}

    @classmethod
    def create(cls, name: str, max_tasks: int | None, memory_bytes: int | None) -> "SandboxCgroups":
        """Sets up what it can; `errors` says why a controller could not be used."""
        group = cls()
        parents = _parents()
        limits = {"pids": max_tasks, "memory": memory_bytes}
        for controller, limit in limits.items():
            if limit is None:
                continue
            parent = parents.get(controller)
            if parent is None:
                group.errors[controller] = f"no writable {controller} cgroup hierarchy"
                continue
            path = os.path.join(parent, PREFIX + name)
            try:
                if path not in group.dirs.values():
                    os.mkdir(path, 0o755)
                group.dirs[controller] = path
                group._limit(controller, path, limit)
            except OSError as exc:
                group.errors[controller] = str(exc)
                group.dirs.pop(controller, None)
                if path not in group.dirs.values():
                    _rmdir(path)
        return group

    @staticmethod
    def _limit(controller: str, path: str, limit: int) -> None:
        files = {"pids": ["pids.max"], "memory": ["memory.max", "memory.limit_in_bytes"]}[controller]
        for name in files:
            target = os.path.join(path, name)
            if os.path.exists(target):
                with open(target, "w") as f:
                    f.write(str(limit))
                if controller == "memory":
                    _no_swap(path)
                return
        # cgroup v2 without the controller enabled for children: enabling it on our own cgroup would break the
        # no-internal-processes rule for the service itself, so the controller is unavailable here.
        raise OSError(f"the {controller} controller is not enabled for child cgroups")

    @property
    def active(self) -> set[str]:
        return set(self.dirs)

    def oom_kills(self) -> int:
        """How many processes the kernel killed for the memory cgroup's limit (v2 memory.events, v1 oom_control)."""
        path = self.dirs.get("memory")
        if path is None:
            return 0
        for name in ("memory.events", "memory.oom_control"):
            try:
                with open(os.path.join(path, name)) as f:
                    for line in f:
                        key, _, value = line.partition(" ")
                        if key == "oom_kill":
                            return int(value)
            except (OSError, ValueError):
                continue
        return 0

    def join(self, pid: int = 0) -> None:
        for path in set(self.dirs.values()):
            with open(os.path.join(path, "cgroup.procs"), "w") as f:
                f.write(str(pid))

    def kill_all(self) -> None:
        for path in set(self.dirs.values()):
            kill_file = os.path.join(path, "cgroup.kill")
            if os.path.exists(kill_file):
                try:
                    with open(kill_file, "w") as f:
                        f.write("1")
                    continue
                except OSError:
                    pass
            for _ in range(50):
                pids = _pids(path)
                if not pids:
                    break
                for pid in pids:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass

    def remove(self) -> None:
        """Removes the cgroups once their tasks are gone (killed first); retries briefly."""
        for path in set(self.dirs.values()):
            for _ in range(100):
                if _rmdir(path):
                    break
                self.kill_all()
                time.sleep(0.01)
        self.dirs.clear()


def _no_swap(path: str) -> None:
    """cgroup v2: no swap beyond the memory limit (v1 charges swap separately only with memsw, rarely enabled)."""
    target = os.path.join(path, "memory.swap.max")
    if os.path.exists(target):
        try:
            with open(target, "w") as f:
                f.write("0")
        except OSError:
            pass


def _pids(path: str) -> list[int]:
    try:
        with open(os.path.join(path, "cgroup.procs")) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def _rmdir(path: str) -> bool:
    try:
        os.rmdir(path)
        return True
    except FileNotFoundError:
        return True
    except OSError:
        return False


def remove_stale(min_age_seconds: float = 60) -> int:
    """Removes sandbox cgroups a supervisor that was killed left behind: empty ones only, and only old ones, so a
    cgroup another service on the same host just created is never taken from under it. Returns how many."""
    removed = 0
    now = time.time()
    for parent in set(_parents().values()):
        try:
            names = [n for n in os.listdir(parent) if n.startswith(PREFIX)]
        except OSError:
            continue
        for name in names:
            path = os.path.join(parent, name)
            try:
                if now - os.stat(path).st_mtime >= min_age_seconds and _rmdir(path):
                    removed += 1
            except OSError:
                pass
    return removed
