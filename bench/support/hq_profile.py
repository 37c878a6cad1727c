"""Where a render's time goes, frame by frame: the benchmarks' profile of one render pass (bench/hq-profile.ts).

Renders one scene as `manim render` would (the CLI's defaults, or the encoder options given), in this process, with
Manim's own methods wrapped to time each stage on the thread that runs it:

- `update`: the scene's Python between frames (animations interpolated, updaters run), on the main thread;
- `reset`: the camera's pixel array refilled with the background (an 8-MB copy at 1080p);
- `rasterise`: the mobjects drawn by cairo (and the Python that walks them) into that array;
- `copy`: the frame copied out of the camera for the writer (`get_frame`);
- `handoff`: the frame queued for the encoder thread, including any wait for room (the encoder falling behind);
- `convert`: on the encoder thread, the RGBA frame made an AVFrame (`VideoFrame.from_ndarray`, a copy);
- `encode`: on the encoder thread, the frame handed to libav (RGBA→YUV conversion, x264's own submission);
- `x264 threads`: the process's CPU that no Python thread did: libx264's native worker threads.

Job on argv[1] (JSON): {"code", "scene", "quality", "outputDir", "options"?: {"preset": ...}, "convertOnce"?: bool}.
Prints one JSON line.
"""

from __future__ import annotations

import json
import resource
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

STAGES = ("update", "reset", "rasterise", "copy", "handoff", "convert", "encode")


class Clocks:
    """Wall and thread-CPU seconds per stage, and the CPU of each Python thread that ran a stage."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = defaultdict(float)
        self.cpu: dict[str, float] = defaultdict(float)
        self.lock = threading.Lock()

    def wrap(self, owner: type, name: str, stage: str) -> None:
        original = getattr(owner, name)

        def timed(*args, **kwargs):
            w0, c0 = time.perf_counter(), time.thread_time()
            try:
                return original(*args, **kwargs)
            finally:
                with self.lock:
                    self.wall[stage] += time.perf_counter() - w0
                    self.cpu[stage] += time.thread_time() - c0

        setattr(owner, name, timed)


def main() -> None:
    job = json.loads(sys.argv[1])
    import av
    from manim import config, tempconfig
    from manim.camera.camera import Camera
    from manim.renderer.cairo_renderer import CairoRenderer
    from manim.scene import scene_file_writer
    from manim.scene.video_segment_encoder import VideoSegmentEncoder

    if job.get("convertOnce"):
        # The worker's own change (python/manim_worker/encoding.py), installed before the timing wraps it.
        sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "python"))
        from manim_worker.encoding import install_convert_once

        install_convert_once()
    clocks = Clocks()
    clocks.wrap(Camera, "reset", "reset")
    clocks.wrap(Camera, "capture_mobjects", "rasterise")
    clocks.wrap(CairoRenderer, "get_frame", "copy")
    clocks.wrap(scene_file_writer.SceneFileWriter, "write_frame", "handoff")

    # The encoder thread's steps: the conversion inside its write_frame, the rest of write_frame and finish.
    clocks.wrap(av.VideoFrame, "from_ndarray", "convert")
    clocks.wrap(VideoSegmentEncoder, "write_frame", "encode")
    clocks.wrap(VideoSegmentEncoder, "finish", "encode")

    options = {"media_dir": job["outputDir"], "quality": job["quality"], "disable_caching": True, "verbosity": "WARNING", "progress_bar": "none", "output_file": job["scene"]}
    if job.get("options"):
        # Manim's encoder options over its defaults (crf 23), e.g. x264's preset.
        options["video_encoder_options"] = job["options"]
    namespace: dict = {}
    frames = 0
    with tempconfig(options):
        exec(compile("from manim import *\n" + job["code"], "<scene>", "exec"), namespace)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        main0 = time.thread_time()
        scene = namespace[job["scene"]]()
        scene.render()
        main_cpu = time.thread_time() - main0
        wall = time.perf_counter() - wall0
        process_cpu = time.process_time() - cpu0
        movie = Path(scene.renderer.file_writer.movie_file_path)
        frames = round(scene.renderer.time * config.frame_rate)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    encoder_cpu = clocks.cpu["encode"]
    main_stages = sum(clocks.cpu[s] for s in ("reset", "rasterise", "copy", "handoff"))
    print(json.dumps({
        "scene": job["scene"],
        "quality": job["quality"],
        "options": job.get("options") or {},
        "frames": frames,
        "wallSeconds": wall,
        "processCpuSeconds": process_cpu,
        "mainThreadCpuSeconds": main_cpu,
        "stagesCpu": {**{s: clocks.cpu[s] for s in STAGES}, "update": max(0.0, main_cpu - main_stages), "x264Threads": max(0.0, process_cpu - main_cpu - encoder_cpu)},
        "stagesWall": {s: clocks.wall[s] for s in STAGES},
        "childCpuSeconds": children.ru_utime + children.ru_stime,
        "bytes": movie.stat().st_size,
        "movie": str(movie),
    }))


if __name__ == "__main__":
    main()
