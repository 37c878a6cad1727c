"""Compiles the TeX glyphs a `DecimalNumber` is made of, once, for every later render to reuse.

Run as `python -m manim_worker.warm_glyphs`, in the sandbox like a render, before any scene, by the renderer
itself: no user code ever runs in this process, and the glyphs depend on nothing a user sends (Manim's default
TeX template, one character each). The service copies the SVG files it lists into a directory every render
worker can read but none can write; a render copies them into its own TeX directory before the scene starts, so a
`DecimalNumber` or `Integer` no longer pays `latex` + `dvisvgm` for each of its characters.

Protocol as the render worker's: ready, one job line (`outputDir`, `quality`), then a result naming a manifest
(a JSON list of the SVG files, relative to the output directory) or an error.
"""

from __future__ import annotations

import json
from pathlib import Path

from .lifecycle import serve_one_job
from .protocol import emit

MANIFEST = "glyphs.json"


def _compile_glyphs(output_dir: Path) -> list[str]:
    from manim import DecimalNumber, Integer, config, tempconfig

    with tempconfig({"media_dir": str(output_dir), "verbosity": "WARNING", "progress_bar": "none", "disable_caching": True}):
        tex_dir = Path(config.get_dir("tex_dir"))
        # Every character a number is written with: the digits, sign, point, thousands separator and ellipsis.
        DecimalNumber(-1234567890.5, num_decimal_places=1, include_sign=True)
        DecimalNumber(0.25, include_sign=True, show_ellipsis=True)
        Integer(-7)
    return sorted(str(svg.relative_to(output_dir)) for svg in tex_dir.glob("*.svg"))


def _load() -> dict:
    import manim

    return {"manim": manim.__version__}


def _run(job: dict) -> None:
    output_dir = Path(job["outputDir"])
    try:
        glyphs = _compile_glyphs(output_dir)
        (output_dir / MANIFEST).write_text(json.dumps(glyphs))
        emit("result", file=MANIFEST)
    except Exception as exc:  # no LaTeX on this host, for one
        emit("error", kind="no_output", message=f"the glyphs could not be compiled: {type(exc).__name__}: {exc}"[:2000])


def main() -> None:
    serve_one_job(_load, _run)


if __name__ == "__main__":
    main()
