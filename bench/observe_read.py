"""Benchmark: reading satellite files into soundings, alone and on a dask LocalCluster.

Run: python bench/observe_read.py [DATA_DIR] [--copies N]
     (default DATA_DIR: ../shared/data/satellite; N = 25 copies of the 9 real files)

Rows 1-2: soundings per second for read + QA by openmrv against the raw cost of
reading the same variables with netCDF4 alone in the same process (the limit; goal
ratio >= 0.5). Runs alternate between the two, best of REPEAT.

Rows 3-4: ``openmrv.observe.batch.observe()`` over N x 9 files (symbolic links to the
real ones in a temporary folder), read + QA + a bounding-box cut, on a LocalCluster
of 1 and 2 worker processes (started before timing), against a serial loop in this
process. Physical limit: the machine has 2 cores, so the speed-up of 2 workers over 1
is at most 2 (less, as the scheduler and this process share the same cores).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import netCDF4

from openmrv.observe import apply_qa, identify, read_soundings
from openmrv.observe.batch import observe, read_file

REPEAT = 5
REGION = (-130.0, 15.0, -60.0, 55.0)  # North America, lon_min, lat_min, lon_max, lat_max


def raw_read(path: Path) -> int:
    """netCDF4 alone: open, read every variable of the product's spec, close."""
    spec = identify(path).spec
    n = 0
    with netCDF4.Dataset(path) as ds:
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
    ds = read_soundings(path, qa=True)
    apply_qa(ds)
    return ds.sizes["sounding"]


def alternating(files: list[Path]) -> tuple[float, float]:
    """Best times of ours and raw, the two runs alternating to share the machine's noise."""
    best_ours = best_raw = float("inf")
    for _ in range(REPEAT):
        t = time.perf_counter()
        for f in files:
            ours(f)
        best_ours = min(best_ours, time.perf_counter() - t)
        t = time.perf_counter()
        for f in files:
            raw_read(f)
        best_raw = min(best_raw, time.perf_counter() - t)
    return best_ours, best_raw


def linked_copies(files: list[Path], copies: int, folder: Path) -> list[Path]:
    out = []
    for i in range(copies):
        sub = folder / f"{i:03d}"
        sub.mkdir()
        for f in files:
            link = sub / f.name
            os.symlink(f.resolve(), link)
            out.append(link)
    return out


def cluster_rows(files: list[Path]) -> list[tuple]:
    from distributed import LocalCluster

    t = time.perf_counter()
    n_serial = 0
    for f in files:
        ds, _, _, _ = read_file(f, REGION)
        n_serial += 0 if ds is None else ds.sizes["sounding"]
    t_serial = time.perf_counter() - t
    rows, per_worker = [], {}
    for workers in (1, 2):
        with LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster:
            observe(files[:4], REGION, scheduler=cluster.scheduler_address)  # warm the workers
            t = time.perf_counter()
            ds, summary = observe(files, REGION, scheduler=cluster.scheduler_address)
            elapsed = time.perf_counter() - t
        assert ds.sizes["sounding"] == n_serial and not summary.bad_files
        per_worker[workers] = elapsed
        speedup = per_worker[1] / elapsed
        rows.append(
            (
                f"observe(), LocalCluster {workers} worker{'s' if workers > 1 else ''}",
                len(files),
                summary.soundings_read,
                summary.soundings_read / elapsed,
                summary.soundings_read / t_serial,
                t_serial / elapsed,
                f"{speedup:.2f} x vs 1 worker; limit 2 (2 cores)",
            )
        )
    return rows


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    copies = 25
    if "--copies" in sys.argv:
        copies = int(sys.argv[sys.argv.index("--copies") + 1])
        args = [a for a in args if a != str(copies)]
    root = Path(args[0]) if args else Path(__file__).parents[2] / "shared/data/satellite"
    groups = {
        "read+QA: UoL GOSAT proxy": sorted(root.glob("gosat_uol_proxy_v7.2/*.nc")),
        "read+QA: blended TROPOMI+GOSAT": sorted(root.glob("tropomi_blended/*[0-9].nc")),
    }
    header = (
        f"{'case':44} {'files':>5} {'soundings':>9} {'openmrv [1/s]':>13} "
        f"{'reference [1/s]':>15} {'ratio':>6}  goal / limit"
    )
    rows = []
    for label, files in groups.items():
        if not files:
            continue
        n = sum(read_soundings(f).sizes["sounding"] for f in files)
        t_ours, t_raw = alternating(files)
        rows.append(
            (label, len(files), n, n / t_ours, n / t_raw, t_raw / t_ours, ">= 0.5 of raw netCDF4")
        )
    real = [f for fs in groups.values() for f in fs]
    if real:
        with tempfile.TemporaryDirectory() as tmp:
            rows += cluster_rows(linked_copies(real, copies, Path(tmp)))
    load = os.getloadavg()
    print(
        f"cores: {os.cpu_count()}, load average (1/5/15 min): {load[0]:.1f} {load[1]:.1f} "
        f"{load[2]:.1f}  (a load above the core count makes parallel speed-ups unmeasurable)"
    )
    print(header)
    for label, nf, ns, a, b, ratio, goal in rows:
        print(f"{label:44} {nf:5d} {ns:9d} {a:13.0f} {b:15.0f} {ratio:6.2f}  {goal}")
    print(
        "reference: rows 1-2 netCDF4 alone reading the same variables (the limit); "
        "rows 3-4 the same read+QA+region cut as a serial loop in this process"
    )


if __name__ == "__main__":
    main()
