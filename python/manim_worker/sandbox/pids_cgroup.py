"""A pids cgroup per sandbox, where the container may create cgroups (cgroup v2, or v1's pids hierarchy).

It caps the number of tasks of the whole sandbox, whatever uid they run as, and lets the supervisor kill every
one of them at the end. Where cgroups are read-only (most managed containers) the sandbox relies on
RLIMIT_NPROC of its non-root uid instead, which the kernel counts per user namespace.
"""

from __future__ import annotations

import os
import signal
import time

PREFIX = "manim-render-sandbox-"


def _own_paths() -> dict[str, str]:
    """This process's cgroup path per hierarchy: 'pids' for v1's pids controller, '' for the v2 unified one."""
    paths: dict[str, str] = {}
    with open("/proc/self/cgroup") as f:
        for line in f:
            _, controllers, path = line.rstrip("\n").split(":", 2)
            for name in controllers.split(","):
                paths[name] = path
    return paths


def _mounts() -> dict[str, str]:
    """Mount points: 'pids' for a v1 hierarchy holding the pids controller, '' for cgroup2."""
    found: dict[str, str] = {}
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, right = line.split(" - ", 1)
            mount_point = left.split()[4]
            fstype, _source, options = right.split()[:3]
            if fstype == "cgroup2":
                found.setdefault("", mount_point)
            elif fstype == "cgroup" and "pids" in options.split(","):
                found.setdefault("pids", mount_point)
    return found


def _parent_dir() -> str | None:
    """Where this process may create a child cgroup with a pids controller, or None."""
    mounts, own = _mounts(), _own_paths()
    if "pids" in mounts and "pids" in own:
        return os.path.join(mounts["pids"], own["pids"].lstrip("/"))
    if "" in mounts and "" in own:
        base = os.path.join(mounts[""], own[""].lstrip("/"))
        try:
            with open(os.path.join(base, "cgroup.controllers")) as f:
                if "pids" not in f.read().split():
                    return None
        except OSError:
            return None
        return base
    return None


class PidsCgroup:
    """One sandbox's cgroup: created with a task limit, joined by the sandbox's first process, removed at the end."""

    def __init__(self, path: str) -> None:
        self.path = path

    @classmethod
    def create(cls, name: str, max_tasks: int) -> "PidsCgroup":
        parent = _parent_dir()
        if parent is None:
            raise OSError("no writable pids cgroup hierarchy")
        path = os.path.join(parent, PREFIX + name)
        os.mkdir(path, 0o755)
        group = cls(path)
        try:
            limit_file = os.path.join(path, "pids.max")
            if not os.path.exists(limit_file):
                # cgroup v2 with pids not enabled for children: enabling it on our own cgroup would break the
                # no-internal-processes rule for the service itself, so the layer is simply unavailable here.
                raise OSError("the pids controller is not enabled for child cgroups")
            with open(limit_file, "w") as f:
                f.write(str(max_tasks))
        except BaseException:
            group.remove()
            raise
        return group

    def join(self, pid: int = 0) -> None:
        with open(os.path.join(self.path, "cgroup.procs"), "w") as f:
            f.write(str(pid))

    def kill_all(self) -> None:
        kill_file = os.path.join(self.path, "cgroup.kill")
        if os.path.exists(kill_file):
            try:
                with open(kill_file, "w") as f:
                    f.write("1")
                return
            except OSError:
                pass
        for _ in range(50):
            pids = self._pids()
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

    def remove(self) -> None:
        """Removes the cgroup once its tasks are gone (they are killed first); retries briefly."""
        for _ in range(100):
            try:
                os.rmdir(self.path)
                return
            except FileNotFoundError:
                return
            except OSError:
                self.kill_all()
                time.sleep(0.01)

    def _pids(self) -> list[int]:
        try:
            with open(os.path.join(self.path, "cgroup.procs")) as f:
                return [int(x) for x in f.read().split()]
        except OSError:
            return []


def remove_stale(min_age_seconds: float = 300) -> int:
    """Removes sandbox cgroups a supervisor that was killed left behind: empty ones only, and only old ones, so a
    cgroup another service on the same host just created is never taken from under it. Returns how many."""
    parent = _parent_dir()
    if parent is None:
        return 0
    removed = 0
    try:
        names = [n for n in os.listdir(parent) if n.startswith(PREFIX)]
    except OSError:
        return 0
    now = time.time()
    for name in names:
        try:
            path = os.path.join(parent, name)
            if now - os.stat(path).st_mtime < min_age_seconds:
                continue
            os.rmdir(path)
            removed += 1
        except OSError:
            pass
    return removed
