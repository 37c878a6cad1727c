"""Renders one Manim scene, then exits. Run as `python -m manim_worker.render`.

The process starts before its job is known: it imports Manim, says `ready` on the protocol channel, then
reads one job (a JSON line) from stdin. A job is rendered in two passes over the user's code:

1. plan: the scene runs with every animation skipped, which counts its animations and their run times
   (progress totals, and the animation ranges a long scene can be split into);
2. render: the scene runs again from a fresh namespace and the same seed, writing frames.

Messages (see protocol.py): ready, plan, progress, result, error. A job that fails because of the scene
ends with an `error` message and exit status 0; any other exit means the worker itself broke.
"""

from __future__ import annotations

import json
import os
import platform
import random
import sys
import time
from pathlib import Path
from typing import Any, Callable

from .limits import apply_job_limits
from .probe import describe_output
from .protocol import PROTOCOL_FD, emit
from .scene_errors import SCENE_FILENAME, describe_exception, register_source

QUALITY_FLAGS = {
    "low": "low_quality",
    "medium": "medium_quality",
    "high": "high_quality",
    "production": "production_quality",
    "4k": "fourk_quality",
}


class SceneNotFound(Exception):
    pass


class NoOutput(Exception):
    pass


# Called after every play()/wait() with the scene; set per pass.
_play_listener: Callable[[Any], None] | None = None


def _install_play_hook() -> None:
    from manim.renderer.cairo_renderer import CairoRenderer

    original_play = CairoRenderer.play

    def play(self, scene, *args, **kwargs):
        original_play(self, scene, *args, **kwargs)
        if _play_listener is not None:
            _play_listener(scene)

    CairoRenderer.play = play


def _seed_everything(seed: int) -> None:
    import numpy

    random.seed(seed)
    numpy.random.seed(seed)


def _load_scene_class(source: str, scene_name: str):
    from manim import Scene

    namespace: dict[str, Any] = {"__name__": "scene"}
    # The user's file may or may not import Manim itself; either way its names are there, and line numbers
    # stay the user's own because nothing is prepended to the source.
    exec("from manim import *", namespace)
    exec(compile(source, SCENE_FILENAME, "exec"), namespace)
    candidate = namespace.get(scene_name)
    if not (isinstance(candidate, type) and issubclass(candidate, Scene)):
        raise SceneNotFound(f"no Scene subclass named {scene_name!r} in the file")
    return candidate


def _base_config(job: dict[str, Any]) -> dict[str, Any]:
    fmt = job["format"]
    options: dict[str, Any] = {
        "media_dir": job["outputDir"],
        "quality": QUALITY_FLAGS[job["quality"]],
        # A fresh job dir never has a cache to hit; hashing every animation would only cost time.
        "disable_caching": True,
        # Rich's INFO logging draws from the global random generator: keep it quiet so seeds hold.
        "verbosity": "WARNING",
        "progress_bar": "none",
        "output_file": job["scene"],
        "seed": job["seed"],
        "preview": False,
    }
    if fmt == "png":
        options.update(save_last_frame=True, write_to_movie=False)
    elif fmt == "mov":
        options.update(format="mov", transparent=True)
    else:
        options.update(format=fmt)
    return options


def _plan(job: dict[str, Any]) -> list[float]:
    from manim import tempconfig

    global _play_listener
    durations: list[float] = []
    _play_listener = lambda scene: durations.append(float(scene.duration))
    try:
        with tempconfig({**_base_config(job), "dry_run": True}):
            _seed_everything(job["seed"])
            scene = _load_scene_class(job["code"], job["scene"])(skip_animations=True)
            scene.render()
    finally:
        _play_listener = None
    return durations


def _render(job: dict[str, Any], total: int | None) -> Path:
    from manim import tempconfig

    global _play_listener
    done = 0

    def on_play(scene) -> None:
        nonlocal done
        done += 1
        emit("progress", done=done, total=total)

    _play_listener = on_play
    try:
        with tempconfig(_base_config(job)):
            _seed_everything(job["seed"])
            scene = _load_scene_class(job["code"], job["scene"])()
            scene.render()
            writer = scene.renderer.file_writer
            produced = writer.image_file_path if job["format"] == "png" else writer.movie_file_path
    finally:
        _play_listener = None
    if not produced or not Path(produced).is_file():
        raise NoOutput("the scene finished without writing any output")
    return Path(produced)


def _run(job: dict[str, Any]) -> None:
    register_source(job["code"])
    total = None
    if job.get("plan", True) and job["format"] != "png":
        durations = _plan(job)
        total = len(durations)
        emit("plan", animations=total, runTimes=durations)
    produced = _render(job, total)
    relative = os.path.relpath(produced, job["outputDir"])
    media = describe_output(produced, job["format"])
    emit("result", file=relative, **({"media": media} if media else {}))


def main() -> None:
    started = time.monotonic()
    # The worker needs stdin, stdout, stderr and the protocol channel; anything else it was handed (bubblewrap
    # leaves its user-namespace fd open) is closed before any other code runs, the scene's included.
    os.closerange(PROTOCOL_FD + 1, 1 << 16)
    import manim

    _install_play_hook()
    emit(
        "ready",
        manim=manim.__version__,
        python=platform.python_version(),
        startupSeconds=round(time.monotonic() - started, 3),
    )

    job = json.loads(sys.stdin.readline())
    apply_job_limits(job["quality"])
    try:
        _run(job)
    except SceneNotFound as exc:
        emit("error", kind="scene_not_found", message=str(exc))
    except NoOutput as exc:
        emit("error", kind="no_output", message=str(exc))
    except BaseException as exc:  # the scene's own failure, whatever it raised (SystemExit included)
        try:
            described = describe_exception(exc)
            # The render log shows the failure too, after whatever the scene printed.
            sys.stderr.write(described.get("traceback", ""))
            emit("error", kind="scene_error", **described)
        except BaseException:
            emit("error", kind="scene_error", exception=type(exc).__name__, message=type(exc).__name__)
    sys.stdout.flush()
    sys.stderr.flush()
    # Threads the scene started must not keep the process alive once the job is over.
    os._exit(0)


if __name__ == "__main__":
    main()
