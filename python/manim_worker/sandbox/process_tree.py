"""The processes below one process, read from /proc: what the supervisor (a subreaper, so nothing of a sandbox
leaves its subtree) measures and kills where there is no PID namespace or cgroup to do it for it."""

from __future__ import annotations

import os


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                state, ppid = f.read().rsplit(")", 1)[1].split()[:2]
        except (OSError, ValueError, IndexError):
            continue
        if state != "Z":  # a zombie is dead already, waiting to be reaped
            children.setdefault(int(ppid), []).append(int(name))
    return children


def descendants(root_pid: int) -> list[int]:
    """Every live process below `root_pid`, children first."""
    children = _children_map()
    found, stack = [], list(children.get(root_pid, []))
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(children.get(pid, []))
    return found


_TICKS = os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(root_pid: int) -> float:
    """CPU seconds of every live process below `root_pid`, with what each has reaped of its own children: what the
    tree has used so far, except what has already come back to `root_pid` itself."""
    total = 0
    for pid in descendants(root_pid):
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            # utime, stime, cutime, cstime: fields 14-17 of stat(5), 12-15 after the name.
            total += sum(int(value) for value in fields[11:15])
        except (OSError, ValueError, IndexError):
            continue
    return total / _TICKS


def tree_threads(root_pid: int) -> list[int]:
    """Every thread of every live process below `root_pid` (Linux keeps a nice value per thread)."""
    threads: list[int] = []
    for pid in descendants(root_pid):
        try:
            threads.extend(int(tid) for tid in os.listdir(f"/proc/{pid}/task"))
        except OSError:
            continue
    return threads
