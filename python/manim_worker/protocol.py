"""Messages to the Node parent: one JSON object per line on file descriptor 3.

stdout and stderr are left to the scene (its prints and Manim's logs); the parent captures them as the
render's log. The parent validates every line, so nothing here is trusted on the other side either.
"""

from __future__ import annotations

import json
import os
import threading
from typing import Any

PROTOCOL_FD = 3

_channel = None
# Live segments are announced from a thread of their own (live_segments.py): one line at a time.
_lock = threading.Lock()


def _open_channel():
    global _channel
    if _channel is None:
        _channel = os.fdopen(PROTOCOL_FD, "w", buffering=1, encoding="utf-8", closefd=True)
    return _channel


def emit(message_type: str, **fields: Any) -> None:
    line = json.dumps({"type": message_type, **fields}, separators=(",", ":")) + "\n"
    with _lock:
        channel = _open_channel()
        channel.write(line)
        channel.flush()
