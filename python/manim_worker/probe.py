"""Describes the file a render produced, inside the sandbox that produced it.

Reading a media file is parsing input the scene controlled, so it happens here, where a crafted file can only hurt
its own render, rather than in the service. The service validates what comes back and treats it as the scene's
own description of its output.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def describe_output(path: Path, fmt: str) -> dict[str, Any] | None:
    try:
        if fmt == "png":
            from PIL import Image

            with Image.open(path) as image:
                width, height = image.size
            return {"codec": "png", "width": width, "height": height, "durationSeconds": None}
        import av

        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            duration = container.duration / av.time_base if container.duration else None
            return {
                "codec": stream.codec_context.name,
                "width": stream.codec_context.width,
                "height": stream.codec_context.height,
                "durationSeconds": round(float(duration), 6) if duration is not None else None,
            }
    except Exception:
        return None  # the service then checks the file itself
