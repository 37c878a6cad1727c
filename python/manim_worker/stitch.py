"""Joins the parts of a split render into one movie, packets copied, the way Manim joins its own partial movies.

Run as `python -m manim_worker.stitch`, in the sandbox like a render: the parts were written by scene code, so
parsing them is kept where a crafted file can only hurt this one job. It speaks the render worker's protocol
(ready, then one job line: a stitch job; then result or error) but never imports Manim, so it is ready at once.
"""

from __future__ import annotations

import os
from io import BytesIO
from pathlib import Path

from .lifecycle import serve_one_job
from .protocol import emit


def stitch(parts: list[Path], output: Path) -> None:
    import av

    output.parent.mkdir(parents=True, exist_ok=True)
    manifest = BytesIO("".join(f"file 'file:{part.as_posix()}'\n" for part in parts).encode("utf-8"))
    with av.open(manifest, format="concat", options={"safe": "0", "an": "1"}) as joined:
        source = joined.streams.video[0]
        with av.open(str(output), mode="w") as container:
            stream = container.add_stream_from_template(template=source)
            for packet in joined.demux(source):
                if packet.dts is None:  # the flushing packets demux() ends with
                    continue
                # The concat demuxer shifts each part's timestamps, but decode times can still step back at a join:
                # the muxer recomputes them, as in Manim's own join.
                packet.dts = None
                packet.stream = stream
                container.mux(packet)


def _run(job: dict) -> None:
    try:
        output = Path(job["outputDir"]) / f"{job['scene']}.{job['format']}"
        stitch([Path(part) for part in job["parts"]], output)
        emit("result", file=os.path.relpath(output, job["outputDir"]))
    except Exception as exc:  # a part that is not a movie of the expected kind
        emit("error", kind="no_output", message=f"the parts could not be joined: {type(exc).__name__}: {exc}"[:2000])


def _load() -> dict:
    import av  # noqa: F401  (loaded while the worker waits for its job)

    # No Manim version here: reading it costs more than the rest of the start-up, and nothing of Manim runs.
    return {}


def main() -> None:
    serve_one_job(_load, _run)


if __name__ == "__main__":
    main()
