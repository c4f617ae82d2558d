"""Run one independent step in a second thread while the caller goes on (``openmrv run``
overlaps its Monte Carlo with the top-down stages, :meth:`openmrv.pipeline.RunChain.run_model`).

One step, one thread, joined when the ``with`` block ends: not a scheduler (dask is the
project's scale-out, :mod:`openmrv.stages.observations`, the Monte Carlo's ``client``).
It pays only where the step spends its time with the GIL released (numpy's random
numbers and array arithmetic, a subprocess) and must not share mutable state with the
caller's block.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any


@contextmanager
def alongside(step: Callable[..., Any], *args: Any) -> Iterator[None]:
    """Run ``step(*args)`` in a second thread during the ``with`` block.

    Leaving the block waits for the step and re-raises its exception, if any; when the
    block itself raises, the step is still waited for (it may be writing into shared
    results) and the block's exception wins.
    """
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="openmrv-alongside") as pool:
        future = pool.submit(step, *args)
        try:
            yield
        except BaseException:
            future.cancel()
            raise
        future.result()
