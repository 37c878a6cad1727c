"""Relays the sandbox's stdout and stderr to the renderer, bounded.

The first half of the log budget is forwarded as it arrives; after that only the latest half is kept, and
written out when the sandbox ends, after a note of how much was discarded between. So a scene printing gigabytes
costs the renderer a bounded log and the supervisor one read per chunk (pipes enlarged to 1 MiB), rather than
every byte through the parent's log buffer. Past `max_bytes` in all, the scene is stopped: that much output is
no longer a log but an attack on the host's CPU.
"""

from __future__ import annotations

import fcntl
import os

F_SETPIPE_SZ = 1031
PIPE_BYTES = 1 << 20
READ_BYTES = 1 << 20


class OutputRelay:
    def __init__(self, keep_bytes: int, max_bytes: int, notes_fd: int = 2) -> None:
        self.notes_fd = notes_fd
        self.head_bytes = keep_bytes // 2
        self.tail_bytes = keep_bytes - self.head_bytes
        self.max_bytes = max_bytes
        self.total = 0
        self.forwarded = 0
        self.tail = bytearray()
        self.exceeded = False
        self._pipes: dict[int, int] = {}

    def pipe_to(self, destination: int) -> int:
        """A pipe whose data goes to `destination` (1 or 2); returns its write end, for the sandbox."""
        read_end, write_end = os.pipe()
        try:
            fcntl.fcntl(read_end, F_SETPIPE_SZ, PIPE_BYTES)
        except OSError:
            pass  # a smaller pipe only costs more reads
        self._pipes[read_end] = destination
        return write_end

    def open_fds(self) -> list[int]:
        return list(self._pipes)

    def read(self, fd: int) -> None:
        try:
            data = os.read(fd, READ_BYTES)
        except BlockingIOError:
            return
        if not data:
            os.close(fd)
            del self._pipes[fd]
            return
        self.total += len(data)
        if self.total > self.max_bytes:
            self.exceeded = True
        room = self.head_bytes - self.forwarded
        if room > 0:
            head = data[:room]
            _write_all(self._pipes[fd], head)
            self.forwarded += len(head)
            data = data[room:]
        if data:
            self.tail += data
            if len(self.tail) > self.tail_bytes:
                del self.tail[: len(self.tail) - self.tail_bytes]

    def finish(self) -> None:
        """Writes what was kept of the end, after a note of what was dropped (to stderr, `notes_fd`)."""
        for fd in list(self._pipes):
            os.close(fd)
        self._pipes.clear()
        discarded = self.total - self.forwarded - len(self.tail)
        if discarded > 0:
            note = (
                f"\n[sandbox] {discarded} bytes of output discarded: the log keeps the first {self.head_bytes} and "
                f"the last {self.tail_bytes} bytes\n"
            )
            _write_all(self.notes_fd, note.encode())
        if self.tail:
            _write_all(self.notes_fd, bytes(self.tail))
        self.tail = bytearray()


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        try:
            written = os.write(fd, view)
        except BrokenPipeError:
            return
        view = view[written:]
