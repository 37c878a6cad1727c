"""A warm render process for the benchmarks: the service's own worker code, without sandbox or protocol.

Imports Manim and `manim_worker.render` (the worker the service runs), says `ready`, then takes one job line on
stdin and runs the worker's plan pass and/or its render pass, the render limited to an animation range with
Manim's from/upto animation numbers (what `manim render -n a,b` sets). Prints one `done` line and exits, as a
service worker does after its one job. Lines meant for the benchmark start with "@@bench ".

Job: {"code", "scene", "quality", "outputDir", "plan": bool, "render": bool, "from": int | null, "upto": int | null}
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time


def cpu_seconds() -> float:
    """CPU time of this process (all threads) and of its waited-for children (LaTeX, for instance)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def say(message: dict) -> None:
    sys.stdout.write("@@bench " + json.dumps(message) + "\n")
    sys.stdout.flush()


def main() -> None:
    # The worker reports progress on fd 3 (its protocol channel); here nobody listens.
    os.dup2(os.open(os.devnull, os.O_WRONLY), 3)
    started = time.monotonic()
    import manim  # noqa: F401  (what the warm worker has done before its job arrives)
    from manim_worker import render as worker

    worker._install_play_hook()
    say({"type": "ready", "startupSeconds": round(time.monotonic() - started, 3)})

    job = json.loads(sys.stdin.readline())
    job.setdefault("format", "mp4")
    job.setdefault("seed", 0)
    result: dict = {"type": "done"}
    t0 = time.monotonic()
    c0 = cpu_seconds()
    if job.get("plan"):
        result["durations"] = worker._plan(job).run_times
        result["planSeconds"] = round(time.monotonic() - t0, 4)
        result["planCpuSeconds"] = round(cpu_seconds() - c0, 4)
    if job.get("render"):
        if job.get("from") is not None:
            job["range"] = {"from": job["from"], "upto": job.get("upto")}
        t1 = time.monotonic()
        c1 = cpu_seconds()
        produced = worker._render(job, None)
        result["renderSeconds"] = round(time.monotonic() - t1, 4)
        result["renderCpuSeconds"] = round(cpu_seconds() - c1, 4)
        result["file"] = str(produced)
    result["cpuSeconds"] = round(cpu_seconds() - c0, 4)
    say(result)
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
