"""Measures what a render directory holds on disk, for the supervisor's disk quota."""

from __future__ import annotations

import os


def disk_usage(root: str, max_entries: int) -> tuple[int, int]:
    """(bytes allocated, entries) under `root`, not following links, each hard-linked inode counted once.

    Stops counting at `max_entries` entries (the caller treats that many as over the limit), so a scene that makes
    millions of empty files cannot make the measurement itself expensive.
    """
    total = 0
    entries = 0
    seen: set[tuple[int, int]] = set()
    stack = [root]
    while stack:
        try:
            listing = os.scandir(stack.pop())
        except OSError:
            continue
        with listing:
            for entry in listing:
                entries += 1
                if entries > max_entries:
                    return total, entries
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                if st.st_nlink > 1:
                    key = (st.st_dev, st.st_ino)
                    if key in seen:
                        continue
                    seen.add(key)
                # Allocated blocks, not the apparent size: a sparse file costs only what it really holds.
                total += st.st_blocks * 512
    return total, entries
