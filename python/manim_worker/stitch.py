"""Joins the parts of a split render into one movie, packets copied, the way Manim joins its own partial movies.

Runs inside the sandbox: the parts were written by scene code, so parsing them is kept where a crafted file can
only hurt this one job.
"""

from __future__ import annotations

from io import BytesIO
from pathlib import Path


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
