"""Per-job resource limits the worker applies to itself once it knows the job, before any scene code runs.

The sandbox starts the worker before the job is known (the warm pool), with an address-space ceiling sized for
the heaviest quality. Once the job is read, the worker lowers that ceiling to what its quality needs: a limit can
always be lowered, never raised again, by the process or anything it starts.

Budgets: VmPeak measured for the fixture scenes (tiny, text, TeX, 3D, a 22 s timeline; mp4, webm, gif, mov) on
ManimCE 0.22.0, about twice the largest, since numpy, BLAS, cairo and the encoder reserve virtual memory they
never touch and heavier scenes hold more mobjects:

    quality      measured VmPeak (max)       budget
    low          746 MiB                     1.5 GiB
    medium       905 MiB                     2 GiB
    high         1.39 GiB (gif: 1.62 GiB)     3 GiB
    production   1.52 GiB                    4 GiB
    4k           2.64 GiB                    6 GiB
"""

from __future__ import annotations

import resource
import signal

GIB = 1 << 30
ADDRESS_SPACE_BY_QUALITY = {
    "low": 3 * GIB // 2,
    "medium": 2 * GIB,
    "high": 3 * GIB,
    "production": 4 * GIB,
    "4k": 6 * GIB,
}


def apply_job_limits(quality: str) -> None:
    """Lowers the address-space limit to the quality's budget, when a sandbox has set one (a finite ceiling), and
    lets the file-size limit end the process (Python ignores SIGXFSZ, which would leave the scene an OSError it
    can catch and carry on past)."""
    signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard == resource.RLIM_INFINITY:
        return
    budget = min(ADDRESS_SPACE_BY_QUALITY.get(quality, hard), hard)
    resource.setrlimit(resource.RLIMIT_AS, (budget, budget))
