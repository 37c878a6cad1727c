"""How the worker's movies are encoded where that differs from Manim's defaults: chosen by measurement, since at
high quality encoding is most of a render's CPU (bench/hq-profile.ts; the figures are in docs/benchmarks.md).

- H.264 (mp4) with x264's `veryfast` preset instead of its default `medium`, and CRF 25 instead of Manim's 23:
  the faster preset spends far less on motion search and mode decisions, which Manim's flat shapes gain little
  from, and makes somewhat larger files of busy scenes (counter.py: 9% at CRF 24); two steps of CRF bring them back
  to Manim's size (counter.py +2%, the others smaller) at an SSIM of 0.9994 or more against Manim's file.
  test/integration/encoding-fidelity.test.ts holds every render to SSIM ≥ 0.995 and at most 10% larger.
- A frame held for several frames (a `wait` with nothing moving) is converted to the encoder's frame once, not once
  per frame it is held: the same pixels, the same bytes out.

Everything else (codec, pixel format, frame rate, the other formats) is Manim's.
"""

from __future__ import annotations

from typing import Any

H264_OPTIONS = {"preset": "veryfast", "crf": "25"}


def encoder_options(fmt: str) -> dict[str, str]:
    """Manim's `video_encoder_options` for a format (over its own defaults)."""
    return dict(H264_OPTIONS) if fmt == "mp4" else {}


def install_convert_once() -> None:
    """Makes Manim's segment encoder convert a held frame once for all the frames it is held."""
    from fractions import Fraction

    import av
    from manim.scene.video_segment_encoder import VideoSegmentEncoder

    def write_frame(self: Any, pixels: Any, *, repeat: int = 1) -> None:
        self._validate_frame(pixels, repeat)
        time_base = Fraction(self.spec.frame_rate.denominator, self.spec.frame_rate.numerator)
        try:
            frame = av.VideoFrame.from_ndarray(pixels, format="rgba")
            if repeat > 1:
                # As the stream would convert it for each frame (its pixel format and size, its threads).
                context = self._stream.codec_context
                frame = frame.reformat(width=context.width, height=context.height, format=context.pix_fmt, threads=context.thread_count)
            frame.time_base = time_base
            for _ in range(repeat):
                # The encoder has taken the frame before it returns: the one AVFrame can go again with the next pts.
                frame.pts = self._next_pts
                self._next_pts += 1
                for packet in self._stream.encode(frame):
                    self._container.mux(packet)
        except BaseException as error:
            raise self._operation_error("encode", error) from error

    VideoSegmentEncoder.write_frame = write_frame
