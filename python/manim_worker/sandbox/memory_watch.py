"""The whole memory of a sandbox, measured by its supervisor where no memory cgroup bounds it (Cloud Run gives a
container none of its own): RLIMIT_AS bounds each process's address space, not their sum, nor pages that belong
to no address space.

What is counted, for every process below the supervisor (it is a subreaper: nothing of the sandbox escapes it):

- each process's proportional set size less its shared-memory part (smaps_rollup: Pss - Pss_Shmem), so pages
  shared between a render's processes count once, divided among them;
- every shared-memory file held open or mapped, memfd and tmpfs alike, once by inode, by the blocks it holds,
  whether mapped or not (memfd pages written with write() are in no address space);
- the sandbox's own tmpfs mounts (its /tmp, under the bubblewrap profile) by their used blocks, and the job
  directory where it lives in memory (a tmpfs, as on Cloud Run).

Standard library only; read as root or as the sandbox's own uid (the landlock profile as a non-root service).
"""

from __future__ import annotations

import os

from manim_worker.sandbox.process_tree import descendants

TMPFS_TYPES = {"tmpfs", "shmem", "ramfs"}


def _private_pss(pid: int) -> int:
    values: dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                key, _, rest = line.partition(":")
                if key in ("Pss", "Pss_Shmem"):
                    values[key] = int(rest.split()[0]) * 1024
    except (OSError, ValueError):
        return 0
    return max(0, values.get("Pss", 0) - values.get("Pss_Shmem", 0))


def _shmem_files(pid: int, seen: set[tuple[int, int]]) -> int:
    """Blocks of memfd and tmpfs files the process holds open or maps, each inode once."""
    total = 0
    paths: list[str] = []
    try:
        paths += [f"/proc/{pid}/fd/{fd}" for fd in os.listdir(f"/proc/{pid}/fd")]
    except OSError:
        pass
    paths += _shared_mappings(pid)
    for path in paths:
        try:
            target = os.readlink(path)
            if not (target.startswith("/memfd:") or target.startswith("/dev/shm") or target.startswith("/tmp")):
                continue
            st = os.stat(path)
        except OSError:
            continue
        key = (st.st_dev, st.st_ino)
        if key in seen:
            continue
        seen.add(key)
        total += st.st_blocks * 512
    return total


def _shared_mappings(pid: int) -> list[str]:
    """The /proc/PID/map_files entries of the process's mappings of memfd and tmpfs files, found from one read of
    its maps: a render's process maps a thousand libraries and arenas, and a link read and a stat for each, every
    check, took a tenth of a core from the render beside it."""
    found: list[str] = []
    try:
        with open(f"/proc/{pid}/maps") as f:
            for line in f:
                fields = line.split(maxsplit=5)
                if len(fields) < 6:
                    continue  # anonymous: counted by its Pss
                name = fields[5]
                if not (name.startswith("/memfd:") or name.startswith("/dev/shm") or name.startswith("/tmp")):
                    continue
                start, _, end = fields[0].partition("-")
                # map_files names drop the zero padding maps prints addresses with.
                found.append(f"/proc/{pid}/map_files/{int(start, 16):x}-{int(end, 16):x}")
    except (OSError, ValueError):
        pass
    return found


def _tmpfs_mounts(pid: int) -> dict[str, str]:
    """The tmpfs mounts a process sees (its mount namespace's), by mount point."""
    mounts: dict[str, str] = {}
    try:
        with open(f"/proc/{pid}/mountinfo") as f:
            for line in f:
                fields = line.split()
                fs_type = fields[fields.index("-") + 1]
                if fs_type in TMPFS_TYPES:
                    mounts[fields[4]] = fs_type
    except (OSError, ValueError, IndexError):
        pass
    return mounts


def in_memory(path: str) -> bool:
    """Whether `path` (on this host, the supervisor's view) lives on a memory file system."""
    best, best_type = "", ""
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            point = fields[4]
            if (path == point or path.startswith(point.rstrip("/") + "/")) and len(point) > len(best):
                best, best_type = point, fields[fields.index("-") + 1]
    return best_type in TMPFS_TYPES


def sandbox_memory(root_pid: int, own_tmpfs: bool, job_dir_bytes: int = 0, limit: int | None = None) -> int:
    """Bytes of memory the sandbox below `root_pid` holds now (see the module's text). With `limit`, a cheap upper
    bound (each process's resident set, from statm) is returned where it is within the limit: the exact proportional
    sets (smaps_rollup, a walk of every page table: 8 ms for a render's 400 MiB) are read only where it is not."""
    pids = descendants(root_pid)
    seen: set[tuple[int, int]] = set()
    shared = job_dir_bytes
    tmpfs_seen: set[tuple[int, int]] = set()
    for pid in pids:
        shared += _shmem_files(pid, seen)
        if not own_tmpfs:
            continue
        for point in _tmpfs_mounts(pid):
            if point in ("/job",) or point.startswith("/proc") or point.startswith("/dev"):
                continue  # the job directory is counted by the caller (if in memory); /dev is read-only
            try:
                st = os.stat(f"/proc/{pid}/root{point}")
                vfs = os.statvfs(f"/proc/{pid}/root{point}")
            except OSError:
                continue
            key = (st.st_dev, 0)
            if key in tmpfs_seen:
                continue
            tmpfs_seen.add(key)
            shared += (vfs.f_blocks - vfs.f_bfree) * vfs.f_frsize
    if limit is not None:
        # A resident set holds every page a proportional set counts (and its shared pages whole), so the sum is
        # never below the exact figure: within the limit, the exact figure is too.
        bound = shared + sum(_resident(pid) for pid in pids)
        if bound <= limit:
            return bound
    return shared + sum(_private_pss(pid) for pid in pids)


def _resident(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * _PAGE_SIZE
    except (OSError, ValueError, IndexError):
        return 0


_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
