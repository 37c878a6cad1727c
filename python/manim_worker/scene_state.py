"""What a scene's state is at an animation boundary, reduced to hashes two processes can compare.

A split render runs the same scene in several processes, each rendering one range of animations and skipping the
ones before it. Skipping replays `construct()` but advances every animation in one step, so a part's starting state
is only right if skipping reaches the same state rendering does. The part that ends at a boundary and the part that
starts there both describe the state they see; the service compares the two descriptions before trusting the join.
"""

from __future__ import annotations

import hashlib
import random
from typing import Any

import numpy

# Mobject attributes that decide what a frame shows. Arrays are hashed bit for bit: a difference too small to see
# could still change a pixel, and a false alarm only costs a whole render.
_DRAWN_ATTRIBUTES = (
    "points",
    "fill_rgbas",
    "stroke_rgbas",
    "background_stroke_rgbas",
    "stroke_width",
    "background_stroke_width",
    "z_index",
    "pixel_array",
    "shade_in_3d",
)
_CAMERA_GETTERS = ("get_phi", "get_theta", "get_gamma", "get_zoom", "get_focal_distance")


def _feed(digest: "hashlib._Hash", value: Any) -> None:
    if isinstance(value, numpy.ndarray):
        digest.update(str(value.dtype).encode())
        digest.update(str(value.shape).encode())
        digest.update(numpy.ascontiguousarray(value).tobytes())
    else:
        digest.update(repr(value).encode())


def _drawn_mobjects(scene: Any) -> list[Any]:
    tops = list(scene.mobjects) + list(getattr(scene, "foreground_mobjects", []))
    frame = getattr(scene.camera, "frame", None)  # a MovingCameraScene's camera is a mobject too
    if frame is not None:
        tops.append(frame)
    return [member for top in tops for member in top.get_family()]


def fingerprint(scene: Any) -> dict[str, str]:
    """Hashes of the scene's drawn state, its camera, its clock (to the microsecond) and its random generators."""
    mobjects = hashlib.sha256()
    for mobject in _drawn_mobjects(scene):
        mobjects.update(type(mobject).__name__.encode())
        for name in _DRAWN_ATTRIBUTES:
            if hasattr(mobject, name):
                _feed(mobjects, getattr(mobject, name))
    camera = hashlib.sha256()
    for getter in _CAMERA_GETTERS:
        method = getattr(scene.camera, getter, None)
        if callable(method):
            _feed(camera, method())
    generators = hashlib.sha256()
    _feed(generators, random.getstate())
    for part in numpy.random.get_state():
        _feed(generators, part)
    return {
        "mobjects": mobjects.hexdigest(),
        "camera": camera.hexdigest(),
        "time": repr(float(scene.renderer.time)),
        "random": generators.hexdigest(),
    }


def has_time_based_updaters(scene: Any) -> bool:
    """Whether anything in the scene updates with `dt`: such updaters advance differently when skipped."""
    if getattr(scene, "updaters", None):
        return True
    return any(member.has_time_based_updater() for member in _drawn_mobjects(scene) if hasattr(member, "has_time_based_updater"))


def advance_clock_as_rendered(clock: float, scene: Any) -> float:
    """The scene clock after the animation just played, had it been rendered: Manim's own float steps, repeated.

    A frozen frame (a wait with nothing moving) adds its whole frames at once; anything else adds one frame time
    per frame of `numpy.arange(0, run_time, 1 / frame_rate)`.
    """
    from manim import config

    dt = 1 / scene.renderer.camera.frame_rate
    if scene.is_current_animation_frozen_frame():
        return clock + int(scene.duration / dt) * dt
    for _ in range(len(numpy.arange(0, scene.duration, 1 / config["frame_rate"]))):
        clock += 1 * dt
    return clock
