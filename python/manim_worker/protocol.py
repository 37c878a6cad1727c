"""Messages to the Node parent: one JSON object per line on file descriptor 3.

stdout and stderr are left to the scene (its prints and Manim's logs); the parent captures them as the
render's log. The parent validates every line, so nothing here is trusted on the other side either.
"""

from __future__ import annotations

import json
import os
from typing import Any

PROTOCOL_FD = 3

_channel = None


def _open_channel():
    global _channel
    if _channel is None:
        _channel = os.fdopen(PROTOCOL_FD, "w", buffering=1, encoding="utf-8", closefd=True)
    return _channel


def emit(message_type: str, **fields: Any) -> None:
    channel = _open_channel()
    channel.write(json.dumps({"type": message_type, **fields}, separators=(",", ":")) + "\n")
    channel.flush()
