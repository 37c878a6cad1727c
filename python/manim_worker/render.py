"""Renders one Manim scene, then exits. Run as `python -m manim_worker.render`.

The process starts before its job is known: it imports Manim, says `ready` on the protocol channel, then
reads one job (a JSON line) from stdin. A job is rendered in two passes over the user's code:

1. plan: the scene runs with every animation skipped, which counts its animations and their run times
   (progress totals, and the animation ranges a long scene can be split into);
2. render: the scene runs again from a fresh namespace and the same seed, writing frames.

With `planGate`, the worker waits after the plan for a line `{"render": true}` on stdin, perhaps with a `range`: the
service decides from the plan whether to render the scene whole here, or split it and render its first part here
(or stops this worker).

A part of a split render (`range`) skips the plan and renders only the animations `from`..`upto` (inclusive;
`upto` null: to the end). It describes the scene's state where its range starts and where it ends (`boundary`
messages, scene_state.py), so the service can check that adjacent parts agree before joining them.

The parts' movies are joined by stitch.py, a worker of its own.

Messages (see protocol.py): ready, plan (or plan_failed, after which the scene is rendered whole without a plan),
segment (with `live`: an animation finished, its live segment written; live_segments.py),
progress, boundary, result, error. A job that fails because of the scene
ends with an `error` message and exit status 0; any other exit means the worker itself broke.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import sys
from pathlib import Path
from typing import Any

from .encoding import encoder_options, install_convert_once
from .lifecycle import serve_one_job
from .live_segments import LiveSegments
from .protocol import emit
from .scene_errors import SCENE_FILENAME, describe_exception, register_source
from .scene_state import advance_clock_as_rendered, fingerprint, has_time_based_updaters

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


class PlayObserver:
    """Sees every play()/wait() of a pass: before it (the renderer's `num_plays` is its index) and after it."""

    def before(self, scene: Any) -> None:
        pass

    def after(self, scene: Any) -> None:
        pass


# Set per pass.
_observer: PlayObserver | None = None
# Set for a render pass whose finished animations become live segments.
_live: LiveSegments | None = None
# add_sound calls of the current pass, counted before Manim drops those of skipped animations.
_sounds = 0


def _install_play_hook() -> None:
    from manim.renderer.cairo_renderer import CairoRenderer

    original_play = CairoRenderer.play

    def play(self, scene, *args, **kwargs):
        if _observer is not None:
            _observer.before(scene)
        original_play(self, scene, *args, **kwargs)
        if _observer is not None:
            _observer.after(scene)

    CairoRenderer.play = play


def _install_segment_hook() -> None:
    """Tells the live segments of each partial movie Manim seals (it goes on encoding it on a thread), and lets them
    look, between frames, for the ones Manim has finished."""
    from manim.scene.scene_file_writer import SceneFileWriter

    original_close = SceneFileWriter.close_partial_movie_stream
    original_write_frame = SceneFileWriter.write_frame

    def close_partial_movie_stream(self):
        job = self._current_encode_job
        original_close(self)
        if _live is not None and job is not None:
            _live.sealed(job)
            _live.poll()

    def write_frame(self, *args, **kwargs):
        original_write_frame(self, *args, **kwargs)
        if _live is not None:
            _live.poll()

    SceneFileWriter.close_partial_movie_stream = close_partial_movie_stream
    SceneFileWriter.write_frame = write_frame


def _install_sound_counter() -> None:
    from manim.manager import Manager

    original_add_sound = Manager.add_sound

    def add_sound(self, *args, **kwargs):
        global _sounds
        _sounds += 1
        return original_add_sound(self, *args, **kwargs)

    Manager.add_sound = add_sound


def _enter_project(job: dict[str, Any]) -> None:
    """Makes the project's directory (laid out read-only by the service) the scene's own, as `manim render` run
    beside its files would: the working directory (relative image, SVG and sound paths), importable (helper
    modules), and its fonts known to the text renderer by their family names."""
    project = job.get("projectDir")
    if not project:
        return
    os.chdir(project)
    sys.path.insert(0, project)
    # The directory is read-only: Python would try to write __pycache__ there on every import.
    sys.dont_write_bytecode = True
    fonts = sorted(p for p in Path(project).rglob("*") if p.suffix.lower() in (".ttf", ".otf") and p.is_file())
    if fonts:
        import manimpango

        for font in fonts:
            manimpango.register_font(str(font))


def _forget_project_modules(job: dict[str, Any]) -> None:
    """Drops the project's own modules imported by a pass, so the next pass imports them afresh, as its
    namespace is (module-level state a helper keeps must not carry from the plan into the render)."""
    project = job.get("projectDir")
    if not project:
        return
    inside = project.rstrip(os.sep) + os.sep
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if isinstance(file, str) and file.startswith(inside):
            del sys.modules[name]


def _seed_everything(seed: int) -> None:
    import numpy

    random.seed(seed)
    numpy.random.seed(seed)


def _load_scene_class(source: str, scene_name: str, project: str | None = None):
    from manim import Scene

    namespace: dict[str, Any] = {"__name__": "scene"}
    if project:
        # Scenes find their files beside themselves with Path(__file__).parent, as they do under `manim render`.
        namespace["__file__"] = os.path.join(project, SCENE_FILENAME)
    # The user's file may or may not import Manim itself; either way its names are there, and line numbers
    # stay the user's own because nothing is prepended to the source.
    exec("from manim import *", namespace)
    # dont_inherit: the user's code gets none of this module's `from __future__` flags (annotations would
    # otherwise be strings, unlike under `manim render`).
    exec(compile(source, SCENE_FILENAME, "exec", dont_inherit=True), namespace)
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
        "video_encoder_options": encoder_options(fmt),
    }
    if fmt == "png":
        options.update(save_last_frame=True, write_to_movie=False)
    elif fmt == "mov":
        options.update(format="mov", transparent=True)
    else:
        options.update(format=fmt)
    return options


class _Planner(PlayObserver):
    """Counts the animations and their run times, and notes the first one a `dt` updater was around for."""

    def __init__(self) -> None:
        self.run_times: list[float] = []
        self.time_based_from: int | None = None

    def before(self, scene: Any) -> None:
        self._note_time_based(scene, scene.renderer.num_plays)

    def after(self, scene: Any) -> None:
        self.run_times.append(float(scene.duration))
        self._note_time_based(scene, scene.renderer.num_plays - 1)

    def _note_time_based(self, scene: Any, index: int) -> None:
        if self.time_based_from is None and has_time_based_updaters(scene):
            self.time_based_from = index


class _Renderer(PlayObserver):
    """Reports progress; for a part of a split render, also the scene's state at the range's two ends."""

    def __init__(self, total: int | None, first: int, last: int | None) -> None:
        self.total = total
        self.first = first
        self.last = last
        self.done = 0
        self.time_based_while_skipped = False
        self.clock = 0.0

    def before(self, scene: Any) -> None:
        if scene.renderer.num_plays < self.first:
            self.time_based_while_skipped = self.time_based_while_skipped or has_time_based_updaters(scene)
        elif _live is not None:
            _live.starts_at(float(scene.renderer.time))

    def after(self, scene: Any) -> None:
        index = scene.renderer.num_plays - 1
        if index < self.first:
            self._after_skipped(scene, index)
        else:
            self.done += 1
            if self.total is not None:
                emit("progress", done=min(self.done, self.total), total=self.total)
        if index == self.last:
            emit("boundary", side="end", after=index, fingerprint=fingerprint(scene))

    def _after_skipped(self, scene: Any, index: int) -> None:
        self.time_based_while_skipped = self.time_based_while_skipped or has_time_based_updaters(scene)
        # A skipped animation advances the scene's clock by its run time; rendering it advances the clock one frame
        # at a time, by whole frames. The clock is set to what rendering would have made it, float for float, so
        # that the part's frames see the time the whole render's frames see.
        self.clock = advance_clock_as_rendered(self.clock, scene)
        scene.renderer.time = self.clock
        if index == self.first - 1:
            emit(
                "boundary",
                side="start",
                after=index,
                fingerprint=fingerprint(scene),
                timeBasedUpdatersSkipped=self.time_based_while_skipped,
            )


def _plan(job: dict[str, Any]) -> _Planner:
    from manim import tempconfig

    global _observer
    planner = _Planner()
    _observer = planner
    try:
        with tempconfig({**_base_config(job), "dry_run": True}):
            _seed_everything(job["seed"])
            scene = _load_scene_class(job["code"], job["scene"], job.get("projectDir"))(skip_animations=True)
            scene.render()
    finally:
        _observer = None
    return planner


def _render(job: dict[str, Any], total: int | None) -> tuple[Path, bool]:
    from manim import tempconfig

    global _observer, _live
    config = _base_config(job)
    span = job.get("range")
    if span:
        config["from_animation_number"] = span["from"]
        if span.get("upto") is not None:
            config["upto_animation_number"] = span["upto"]
    if span:
        # A range's progress counts its own animations, as many as the plan found in it.
        total = span["upto"] - span["from"] + 1 if span.get("upto") is not None else span.get("animations")
    _observer = _Renderer(total, span["from"] if span else 0, span.get("upto") if span else None)
    try:
        with tempconfig(config):
            from manim import config as manim_config

            if job.get("live"):
                _live = LiveSegments(job["outputDir"], fps=float(manim_config.frame_rate))
            _seed_everything(job["seed"])
            scene = _load_scene_class(job["code"], job["scene"], job.get("projectDir"))()
            scene.render()
            writer = scene.renderer.file_writer
            produced = writer.image_file_path if job["format"] == "png" else writer.movie_file_path
            sound = bool(getattr(writer, "includes_sound", False)) or _sounds > 0
    finally:
        _observer = None
        if _live is not None:
            # Every animation finished so far is announced before the result (or the error).
            _live.close()
            _live = None
    if not produced or not Path(produced).is_file():
        raise NoOutput("the scene finished without writing any output")
    return Path(produced), sound


def _emit_result(rendered: tuple[Path, bool], job: dict[str, Any]) -> None:
    # Only the path: what the file holds is read by the service's own reader (describe.py), never taken from here.
    produced, sound = rendered
    emit("result", file=os.path.relpath(produced, job["outputDir"]), **({"sound": True} if sound else {}))


def _await_verdict() -> dict[str, Any]:
    """The service's answer to the plan: `{"render": true}`, perhaps with the `range` to render; else stop."""
    line = sys.stdin.readline()
    answer = json.loads(line) if line.strip() else {}
    return answer if isinstance(answer, dict) else {}


def _copy_glyphs(job: dict[str, Any]) -> None:
    """Starts the render's TeX directory with the glyphs the service compiled ahead (warm_glyphs.py) and the
    formulas this principal's earlier renders compiled (the service's tex-cache.ts): Manim reuses a file it finds."""
    target = Path(job["outputDir"]) / "Tex"  # Manim's tex_dir under the media dir
    for source in (job.get("glyphDir"), job.get("texSeedDir")):
        if not source:
            continue
        target.mkdir(parents=True, exist_ok=True)
        for glyph in Path(source).glob("*.svg"):
            shutil.copyfile(glyph, target / glyph.name)


def _run(job: dict[str, Any]) -> None:
    global _sounds
    _copy_glyphs(job)
    _enter_project(job)
    register_source(job["code"])
    total = None
    if job.get("plan", True) and job["format"] != "png":
        try:
            planner = _plan(job)
            planned_sounds = _sounds
        except SceneNotFound:
            raise
        except Exception as exc:  # noqa: BLE001 - whatever the skipped run raised, the real render may not
            # Skipping animations is not how `manim render` runs a scene: a `dt` updater advanced in one step, for
            # one, can compute a negative run time the frame-by-frame render never sees. Render it whole without
            # a plan (no split, no progress total); if the scene is really broken, the render raises too.
            emit("plan_failed", exception=type(exc).__name__[:200], message=str(exc)[:2000])
            _forget_project_modules(job)
            _sounds = 0
            _emit_result(_render(job, None), job)
            return
        finally:
            _forget_project_modules(job)
        _sounds = 0
        total = len(planner.run_times)
        emit("plan", animations=total, runTimes=planner.run_times, timeBasedFrom=planner.time_based_from, sounds=planned_sounds)
        if job.get("planGate"):
            verdict = _await_verdict()
            if verdict.get("render") is not True:
                return
            if verdict.get("range"):
                job["range"] = verdict["range"]
    _emit_result(_render(job, total), job)


def _load() -> dict[str, Any]:
    import manim

    _install_play_hook()
    _install_segment_hook()
    _install_sound_counter()
    install_convert_once()
    return {"manim": manim.__version__}


def _run_reporting_errors(job: dict[str, Any]) -> None:
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


def main() -> None:
    serve_one_job(_load, _run_reporting_errors)


if __name__ == "__main__":
    main()
