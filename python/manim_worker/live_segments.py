"""Live segments: each animation's movie, once Manim has finished encoding it, copied into an MPEG-TS file of its own
(packets copied, nothing decoded or encoded), so the service can list it in a live HLS playlist while the rest of
the scene still renders.

Manim encodes each animation's partial movie on a thread of its own (its SceneFileWriter seals a job per
animation and goes on drawing). `sealed()` is told of each sealed job in order; `poll()`, called by the render
between frames, turns every job whose encoder has ended into a segment, in order, and says `segment` on the
protocol channel; `close()` waits for the rest. It all runs on the render's own thread: a thread of ours beside
Manim's made its encoded frames differ from run to run (rarely, and only by a few levels of a few pixels, but the
frames must be the very same whatever renders them). The final movie is Manim's own join of the same partial
movies, untouched by any of this.

Each segment's timestamps continue where the one before ended (the first starts at the scene time of its
animation: a split part's first animation starts where the part's range does), so a player sees one timeline.
"""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path
from typing import Any

from .protocol import emit

LIVE_SUBDIR = "live"


def remux_to_transport_stream(source: Path, target: Path, start_seconds: float) -> int:
    """Copies the video packets of `source` into an MPEG-TS file at `target`, shifted to start at `start_seconds`.
    Returns how many frames it holds."""
    import av

    frames = 0
    partial = target.with_name(target.name + ".partial")
    with av.open(str(source)) as movie:
        video = movie.streams.video[0]
        shift = int(round(Fraction(start_seconds).limit_denominator(1_000_000) / video.time_base))
        with av.open(str(partial), mode="w", format="mpegts") as segment:
            stream = segment.add_stream_from_template(template=video)
            for packet in movie.demux(video):
                if packet.dts is None:  # the flushing packet demux() ends with
                    continue
                packet.pts += shift
                packet.dts += shift
                packet.stream = stream
                segment.mux(packet)
                frames += 1
    os.replace(partial, target)
    return frames


class LiveSegments:
    """Turns each sealed partial-movie job into a segment, in order, on the render's own thread."""

    def __init__(self, output_dir: str, fps: float) -> None:
        self.dir = Path(output_dir) / LIVE_SUBDIR
        self.dir.mkdir(parents=True, exist_ok=True)
        self.output_dir = output_dir
        self.fps = fps
        self.start: float | None = None
        self._clock: float | None = None
        self._pending: list[Any] = []
        self._stopped = False

    def starts_at(self, seconds: float) -> None:
        """The scene time the first rendered animation starts at (0 for a whole render)."""
        if self.start is None:
            self.start = seconds

    def sealed(self, job: Any) -> None:
        if not self._stopped:
            self._pending.append(job)

    def poll(self) -> None:
        """Makes segments of the sealed jobs whose encoders have ended, in order, without waiting for any."""
        while self._pending and not self._pending[0].thread.is_alive():
            self._segment(self._pending.pop(0))

    def close(self) -> None:
        """Waits for every sealed job so far and makes its segment (or gives up on the rest)."""
        while self._pending:
            job = self._pending.pop(0)
            job.thread.join()
            self._segment(job)

    def _segment(self, job: Any) -> None:
        if self._stopped:
            return
        if self._clock is None:
            self._clock = self.start or 0.0
        if job.failed or getattr(job, "_abort_requested", False) or not Path(job.path).is_file():
            # A broken or discarded animation: no segment can follow it on one timeline.
            self._stop()
            return
        index = job.animation_index
        target = self.dir / f"{index}.ts"
        try:
            frames = remux_to_transport_stream(Path(job.path), target, self._clock)
        except Exception as exc:  # noqa: BLE001 - a live segment is a courtesy; the render goes on without them
            emit("live_failed", message=f"{type(exc).__name__}: {exc}"[:500])
            self._stop()
            return
        seconds = frames / self.fps
        self._clock += seconds
        emit("segment", index=index, file=os.path.relpath(target, self.output_dir), seconds=round(seconds, 6))

    def _stop(self) -> None:
        self._stopped = True
        self._pending.clear()
