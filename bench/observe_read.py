"""Benchmark: soundings per second for read + QA, against raw netCDF4 reads of the same variables.

Run: python bench/observe_read.py [DATA_DIR]   (default: ../shared/data/satellite)
The raw read (netCDF4 alone, same variables, no conversion) is the limit; goal >= 0.5 of it.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import netCDF4

from openmrv.observe import apply_qa, identify, read_soundings

REPEAT = 3


def raw_read(path: Path) -> int:
    spec = identify(path).spec
    with netCDF4.Dataset(path) as ds:
        n = 0
        for paths in spec.variables.values():
            for p in paths:
                group, _, name = p.rpartition("/")
                g = ds
                for part in [q for q in group.split("/") if q]:
                    g = g.groups.get(part, g)
                if name in g.variables:
                    n = max(n, g.variables[name][...].shape[0])
                    break
    return n


def ours(path: Path) -> int:
    ds = read_soundings(path)
    return (
        ds.sizes["sounding"]
        + int(ds.attrs.get("soundings_without_retrieval", 0))
        + 0 * len(apply_qa(ds)[0].sounding)
    )


def timed(fn, files) -> tuple[float, int]:
    best, count = float("inf"), 0
    for _ in range(REPEAT):
        t = time.perf_counter()
        count = sum(ours_count for ours_count in (fn(f) for f in files))
        best = min(best, time.perf_counter() - t)
    return best, count


def main() -> None:
    root = (
        Path(sys.argv[1])
        if len(sys.argv) > 1
        else Path(__file__).parents[2] / "shared/data/satellite"
    )
    groups = {
        "UoL GOSAT proxy": sorted(root.glob("gosat_uol_proxy_v7.2/*.nc")),
        "blended TROPOMI+GOSAT": sorted(root.glob("tropomi_blended/*[0-9].nc")),
    }
    print(
        f"{'files':24} {'soundings':>9} {'openmrv [1/s]':>14} "
        f"{'raw netCDF4 [1/s]':>18} {'ratio':>6} {'limit':>6}"
    )
    for label, files in groups.items():
        if not files:
            continue
        t_ours, _ = timed(ours, files)
        t_raw, _ = timed(raw_read, files)
        n_sound = sum(read_soundings(f).sizes["sounding"] for f in files)
        ratio = (n_sound / t_ours) / (n_sound / t_raw)
        print(
            f"{label:24} {n_sound:9d} {n_sound / t_ours:14.0f} "
            f"{n_sound / t_raw:18.0f} {ratio:6.2f} {0.5:6.2f}"
        )


if __name__ == "__main__":
    main()
