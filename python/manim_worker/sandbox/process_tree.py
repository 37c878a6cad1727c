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
