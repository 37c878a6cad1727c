"""Reads a rendered file and says what it is: the service's only source for an output's codec, size and duration.

Run as `python -m manim_worker.describe`, in a fresh sandbox of its own, once the render that made the file is
dead. A render's worker runs scene code, so anything it says about its own output may be forged; this worker runs
only the service's code, and the file is parsed here, where a crafted one can at worst spoil its own description
(the service then refuses it), never in the service. It speaks the render worker's protocol (ready, one job line,
then result or error) and never imports Manim, so it is ready at once.

A file is accepted only if its container is the format's, its first video stream has the format's codec and a
first frame decodes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .lifecycle import serve_one_job
from .protocol import emit

#: The containers and codecs Manim writes for each format (what libav names them).
CONTAINERS = {"mp4": "mp4", "mov": "mov", "webm": "webm", "gif": "gif"}
CODECS = {"mp4": {"h264"}, "webm": {"vp9", "vp8"}, "gif": {"gif"}, "mov": {"qtrle", "prores", "png"}}


class NotTheMedia(Exception):
    """The file is not a movie (or image) of the format the render claims."""


def describe(path: Path, fmt: str) -> dict[str, Any]:
    if fmt == "png":
        return _describe_png(path)
    import av

    with av.open(str(path), format=None) as container:
        if CONTAINERS[fmt] not in container.format.name.split(","):
            raise NotTheMedia(f"the container is {container.format.name}, not {fmt}")
        if not container.streams.video:
            raise NotTheMedia("the file holds no video stream")
        stream = container.streams.video[0]
        codec = stream.codec_context.name
        if codec not in CODECS[fmt]:
            raise NotTheMedia(f"the video codec is {codec}, not one {fmt} is written with")
        frame = next(container.decode(stream), None)
        if frame is None:
            raise NotTheMedia("no frame of the video decodes")
        duration = container.duration / av.time_base if container.duration else None
        audio = container.streams.audio[0].codec_context.name if container.streams.audio else None
        return {
            "codec": codec,
            "audioCodec": audio,
            "width": frame.width,
            "height": frame.height,
            "durationSeconds": round(float(duration), 6) if duration is not None else None,
        }


def _describe_png(path: Path) -> dict[str, Any]:
    from PIL import Image

    with Image.open(path) as image:
        if image.format != "PNG":
            raise NotTheMedia(f"the image is {image.format}, not PNG")
        image.load()  # decodes every row: a truncated or forged file fails here
        width, height = image.size
    return {"codec": "png", "width": width, "height": height, "durationSeconds": None, "audioCodec": None}


def _run(job: dict) -> None:
    try:
        media = describe(Path(job["file"]), job["format"])
    except NotTheMedia as exc:
        emit("error", kind="no_output", message=f"the output is not a {job['format']} file: {exc}"[:2000])
        return
    except Exception as exc:  # a file libav or Pillow cannot read at all
        emit("error", kind="no_output", message=f"the output is not readable media: {type(exc).__name__}"[:2000])
        return
    emit("result", file=job["file"], media=media)


def _load() -> dict:
    import av  # noqa: F401  (loaded while the worker waits for its job)
    import PIL.Image  # noqa: F401

    return {}


def main() -> None:
    serve_one_job(_load, _run)


if __name__ == "__main__":
    main()
