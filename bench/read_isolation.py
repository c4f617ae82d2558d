"""Benchmark: the cost of reading netCDF4/HDF5 files in the reading process (the guard
against damaged files that make the C libraries loop, :mod:`openmrv.observe.isolation`)
against reading them in this process.

Run: python bench/read_isolation.py [FILE ...]
     (default: the real files of tests/data/observe and examples/turkmenistan)

Per file: ``batch.read_file`` (read + QA, the whole file kept: no region) in this
process and through the reading process, alternating, best of REPEAT; then the one-off
start of the reading process. The isolated read also pickles the kept soundings back
through a pipe; the goal is an overhead small against the read itself.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from openmrv.observe import batch, isolation

REPEAT = 5
ROOT = Path(__file__).parents[1]
_UOL = "ESACCI-GHG-L2-CH4-GOSAT-OCPR-20120102-fv7.2.nc"
DEFAULT = [
    *sorted((ROOT / "tests" / "data" / "observe").glob("S5P_*.nc*")),
    ROOT / "tests" / "data" / "observe" / _UOL,
    ROOT / "examples" / "turkmenistan" / "observations" / _UOL,
]


def _timed(path: Path, isolated: bool) -> tuple[float, int]:
    isolation._IN_CHILD = not isolated  # reads in this process when True
    try:
        t0 = time.perf_counter()
        _, _, n_read, error = batch.read_file(path, None, True)
        dt = time.perf_counter() - t0
    finally:
        isolation._IN_CHILD = False
    return (float("nan") if error else dt), n_read


def main() -> None:
    paths = [Path(p) for p in sys.argv[1:]] or DEFAULT
    t0 = time.perf_counter()
    isolation.call(paths[0], len, "")  # starts this thread's reading process
    start = time.perf_counter() - t0
    print(f"{'file':<62}{'MiB':>6}{'sound.':>8}{'here s':>9}{'isol. s':>9}{'extra s':>9}")
    total_here = total_iso = 0.0
    for p in paths:
        here, iso = [], []
        for _ in range(REPEAT):
            here.append(_timed(p, False)[0])
            dt, n = _timed(p, True)
            iso.append(dt)
        h, i = min(here), min(iso)
        if h != h:  # NaN: a file the readers refuse (e.g. without qa_value)
            print(f"{p.name[:60]:<62} refused by the readers; not timed")
            continue
        total_here, total_iso = total_here + h, total_iso + i
        mib = p.stat().st_size / 2**20
        print(f"{p.name[:60]:<62}{mib:>6.1f}{n:>8}{h:>9.3f}{i:>9.3f}{i - h:>9.3f}")
    print(f"{'all':<76}{total_here:>9.3f}{total_iso:>9.3f}{total_iso - total_here:>9.3f}")
    print(f"start of the reading process (once per thread): {start:.2f} s")


if __name__ == "__main__":
    main()
