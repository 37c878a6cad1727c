"""The life of every worker process: start, say ready, take one job, do it, exit.

A worker starts before its job is known (the service keeps one ready), so what it loads ahead is paid while
nobody waits. The job arrives as one JSON line on stdin; the limits for its quality are set before any of it runs;
whatever the job leaves behind (threads a scene started, say) must not keep the process alive afterwards.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from typing import Any, Callable, NoReturn

from .limits import apply_job_limits
from .protocol import PROTOCOL_FD, emit


def serve_one_job(load: Callable[[], dict[str, Any]], run: Callable[[dict[str, Any]], None]) -> NoReturn:
    """Loads what the worker needs (`load` returns extra fields for the ready message), then runs one job."""
    started = time.monotonic()
    # The worker needs stdin, stdout, stderr and the protocol channel; anything else it was handed (bubblewrap
    # leaves its user-namespace fd open) is closed before any other code runs, the job's included.
    os.closerange(PROTOCOL_FD + 1, 1 << 16)
    ready = load()
    emit("ready", **ready, python=platform.python_version(), startupSeconds=round(time.monotonic() - started, 3))
    job = json.loads(sys.stdin.readline())
    apply_job_limits(job["quality"])
    run(job)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
