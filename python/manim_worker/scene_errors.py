"""Turns an exception raised by scene code into an error that points at the user's own lines."""

from __future__ import annotations

import linecache
import traceback
from typing import Any

SCENE_FILENAME = "scene.py"
MAX_TRACEBACK_CHARS = 8000


def register_source(source: str) -> None:
    """Lets tracebacks show the user's lines: the code was compiled from a string, not read from a file."""
    # An entry with mtime None is never invalidated by linecache.checkcache.
    linecache.cache[SCENE_FILENAME] = (len(source), None, source.splitlines(True), SCENE_FILENAME)


def describe_exception(exc: BaseException) -> dict[str, Any]:
    """The exception as `{exception, message, line?, traceback}` with only the user's frames spelled out."""
    if isinstance(exc, SyntaxError) and exc.filename == SCENE_FILENAME:
        return {
            "exception": type(exc).__name__,
            "message": f"{exc.msg} (line {exc.lineno})" if exc.lineno else str(exc.msg),
            **({"line": exc.lineno} if exc.lineno else {}),
            "traceback": "".join(traceback.format_exception_only(type(exc), exc)),
        }

    frames = traceback.extract_tb(exc.__traceback__)
    user_frames = [f for f in frames if f.filename == SCENE_FILENAME]
    lines = ["Traceback (most recent call last):\n"]
    hidden = 0
    for frame in frames:
        if frame.filename == SCENE_FILENAME:
            if hidden:
                lines.append(f"  [{hidden} frame(s) inside Manim]\n")
                hidden = 0
            lines.extend(traceback.format_list([frame]))
        else:
            hidden += 1
    if hidden:
        lines.append(f"  [{hidden} frame(s) inside Manim]\n")
    lines.extend(traceback.format_exception_only(type(exc), exc))
    text = "".join(lines)
    if len(text) > MAX_TRACEBACK_CHARS:
        text = "[...]\n" + text[-MAX_TRACEBACK_CHARS:]

    described: dict[str, Any] = {
        "exception": type(exc).__name__,
        "message": str(exc)[:2000] or type(exc).__name__,
        "traceback": text,
    }
    if user_frames and user_frames[-1].lineno:
        described["line"] = user_frames[-1].lineno
    return described
