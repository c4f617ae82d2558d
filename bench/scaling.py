"""Benchmark: how the three heavy engines grow with their size.

Run:  python bench/scaling.py [--only mc|plumes|inversion] [--no-memory]

Each engine at three sizes (doubling or more), time (a timing pass in this process, best
of ``repeats``) and peak memory (a separate pass, each size in a fresh process: the peak
resident memory, VmHWM, reset after the set-up, less the resident memory before the run;
no timing in that pass). The growth law is the slope of a least-squares line through
(log size, log time) and (log size, log memory): time ∝ size^b.

- Monte Carlo: ``openmrv uncertainty``'s engine (``approach2``, chunks of 20,000) on
  examples/turkmenistan at 10^4, 3·10^4 and 10^5 draws.
- Plumes: the plume search and quantification (``detect_scenes``: read, windows at the
  Bonferroni false-alarm rate, detection, IME) on synthetic TROPOMI L2 orbits of 215
  ground pixels (7 x 5.5 km) by 1,043, 2,087 and 4,173 scanlines (a quarter, half and
  a full orbit, 17 to 70 · 10^4 pixels), white noise 8 ppb, with one planted Gaussian
  plume (25 kg/s, 4 m/s east) per 1,000 scanlines; truth kept: the planted sources found
  within 2 pixels are counted, and any other detection.
- Inversion: the streaming ``Accumulator`` and ``solve`` at n = 1,000 state elements,
  m = 16,384, 32,768 and 65,536 observations in chunks of 8,192 rows (the bench
  inversion's synthetic chunks, ``bench/inversion.py``).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import netCDF4
import numpy as np

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).parent))

import inversion as inv_bench  # noqa: E402

from openmrv.case import load_case, read_activity_uncertainty  # noqa: E402
from openmrv.estimate.inventory.montecarlo import ActivityUncertainty, approach2  # noqa: E402
from openmrv.estimate.plumes.synthetic import gaussian_plume_scene  # noqa: E402
from openmrv.stages.inventory import estimate_inventory  # noqa: E402
from openmrv.stages.plumes import detect_scenes  # noqa: E402

SIZES = {
    "mc": (10_000, 30_000, 100_000),
    "plumes": (1043, 2087, 4173),
    "inversion": (16_384, 32_768, 65_536),
}
UNITS = {"mc": "draws", "plumes": "scanlines", "inversion": "observations"}
COLS = 215  # TROPOMI ground pixels across the swath (7 x 5.5 km since August 2019)
PIX = (7000.0, 5500.0)  # m: row height, column width
PLUME = {"q_kg_s": 25.0, "u": 4.0}  # planted plumes: rate, wind towards the east
NOISE_PPB = 8.0
ORBIT = "S5P_OFFL_L2__CH4____20210928T071234_20210928T085404_20503_02_020200_20210929T224533.nc"


# ---------------------------------------------------------------- the three engines


def setup_mc(size: int):
    case = load_case(ROOT / "examples" / "turkmenistan")
    result = estimate_inventory(case)
    unc = ActivityUncertainty(read_activity_uncertainty(case))
    years = (case.first_year, case.last_year)
    approach2(result, unc, case.gwp, years, n_draws=200, chunk_size=200)  # warm up
    return lambda: approach2(result, unc, case.gwp, years, n_draws=size, chunk_size=20_000)


def planted(rows: int) -> list[tuple[int, int]]:
    """(row, col) of the planted sources: one per 1,000 scanlines, at mid-block."""
    return [(r, 60 + 40 * (i % 3)) for i, r in enumerate(range(500, rows - 100, 1000))]


def write_orbit(path: Path, rows: int, seed: int = 5) -> Path:
    """A synthetic TROPOMI L2 CH4 orbit (OFFL group layout, regular 7 x 5.5 km pixels,
    XCH4 1870 ppb + white noise + the planted plumes)."""
    rng = np.random.default_rng(seed)
    # 7 km rows; the latitude repeats every 1,000 rows (30-93 N would overrun the pole
    # otherwise: 4,173 x 7 km is longer than pole to pole on a regular grid)
    lat = 30.0 + (np.arange(rows)[:, None] % 1000) * PIX[0] / 111_195.0 + np.zeros((1, COLS))
    coslat = np.cos(np.deg2rad(lat))
    lon = 58.0 + (np.arange(COLS)[None, :] - COLS / 2) * PIX[1] / (111_195.0 * coslat)
    x = 1870.0 + rng.normal(0.0, NOISE_PPB, (rows, COLS))
    for r, c in planted(rows):
        lo = r - 40
        enh, _, _ = gaussian_plume_scene(
            PLUME["q_kg_s"], PLUME["u"], 0.0, shape=(80, 80), pixel_m=PIX, source_rc=(40, 40)
        )
        x[lo : lo + 80, c - 40 : c + 40] += enh
    with netCDF4.Dataset(path, "w") as ds:
        g = ds.createGroup("PRODUCT")
        g.createDimension("time", 1)
        g.createDimension("scanline", rows)
        g.createDimension("ground_pixel", COLS)
        dims = ("time", "scanline", "ground_pixel")
        for name, units, val in (
            ("latitude", "degrees_north", lat),
            ("longitude", "degrees_east", lon),
            ("methane_mixing_ratio_bias_corrected", "1e-9", x),
            ("methane_mixing_ratio_precision", "1e-9", np.full((rows, COLS), NOISE_PPB)),
            ("qa_value", "1", np.ones((rows, COLS))),
        ):
            v = g.createVariable(name, "f4", dims, fill_value=np.float32(9.96921e36))
            v.units = units
            v[:] = val[None].astype("f4")
        t = g.createVariable("time", "i4", ("time",))
        t.units = "seconds since 2010-01-01 00:00:00"
        t[:] = [370396800]  # 2021-09-28
        d = g.createVariable("delta_time", "i4", ("time", "scanline"))
        d.units = "milliseconds"
        d[:] = 27_000_000 + np.arange(rows)[None, :] * 840
        inp = g.createGroup("SUPPORT_DATA").createGroup("INPUT_DATA")
        for name, value in (("eastward_wind", PLUME["u"]), ("northward_wind", 0.0)):
            w = inp.createVariable(name, "f4", dims)
            w.units = "m s-1"
            w[:] = np.full((1, rows, COLS), value, "f4")
        ds.processor_version = "2.2.0"
    return path


def found(table, rows: int) -> tuple[int, int]:
    """(planted sources found within 2 pixels, other detections)."""
    det = table[table["detected"]]
    pos = [tuple(int(v) for v in s.split("@")[1].split("_")) for s in det["scene"]]
    truth = planted(rows)
    hit = sum(any(abs(r - tr) <= 2 and abs(c - tc) <= 2 for r, c in pos) for tr, tc in truth)
    other = sum(not any(abs(r - tr) <= 2 and abs(c - tc) <= 2 for tr, tc in truth) for r, c in pos)
    return hit, other


def setup_plumes(size: int, folder: Path):
    path = folder / f"{size}" / ORBIT
    if not path.exists():
        path.parent.mkdir(parents=True)
        write_orbit(path, size)
    return lambda: detect_scenes([path])[0]


def setup_inversion(size: int):
    n, chunk = 1000, 8192
    pool = inv_bench.make_pool(n, chunk)
    return lambda: inv_bench.run_ours(pool, n, size)


def setup(kind: str, size: int, folder: Path):
    if kind == "mc":
        return setup_mc(size)
    if kind == "plumes":
        return setup_plumes(size, folder)
    return setup_inversion(size)


# ---------------------------------------------------------------- passes


def _vm(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise OSError(field)


def memory_child(kind: str, size: int, folder: Path) -> None:
    """Print the peak memory [MiB] one run adds above the set-up (fresh process)."""
    run = setup(kind, size, folder)
    Path("/proc/self/clear_refs").write_text("5")  # VmHWM := current resident size
    before = _vm("VmHWM")
    run()
    print((_vm("VmHWM") - before) / 1024)


def slope(x, y) -> float:
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--only", choices=tuple(SIZES))
    p.add_argument("--no-memory", action="store_true")
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--child", nargs=3, help=argparse.SUPPRESS)  # kind size folder
    a = p.parse_args()
    if a.child:
        memory_child(a.child[0], int(a.child[1]), Path(a.child[2]))
        return
    print(
        f"scaling: {os.cpu_count()} cores, load average "
        + " ".join(f"{x:.2f}" for x in os.getloadavg())
    )
    kinds = [a.only] if a.only else list(SIZES)
    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind in kinds:
            times, mems = [], []
            for size in SIZES[kind]:
                run = setup(kind, size, Path(tmp))
                best = np.inf
                for _ in range(a.repeats):
                    t0 = time.perf_counter()
                    out = run()
                    best = min(best, time.perf_counter() - t0)
                times.append(best)
                extra = ""
                if kind == "plumes":
                    hit, other = found(out, size)
                    extra = f"planted {len(planted(size))}, found {hit}, other detections {other}"
                if not a.no_memory:
                    cmd = [sys.executable, __file__, "--child", kind, str(size), tmp]
                    res = subprocess.run(cmd, capture_output=True, text=True, check=True)
                    mems.append(float(res.stdout.split()[-1]))
                mem = f"{mems[-1]:8.0f}" if mems else f"{'-':>8}"
                line = f"{kind:10} {size:>9,} {UNITS[kind]:13} {best:8.2f} {mem} MiB  {extra}"
                lines.append(line)
                print(line, flush=True)
            law = f"time ∝ size^{slope(SIZES[kind], times):.2f}"
            if mems:
                law += f", memory ∝ size^{slope(SIZES[kind], np.maximum(mems, 1)):.2f}"
            print(f"{'':10} growth law ({kind}): {law}; load {os.getloadavg()[0]:.2f}", flush=True)


if __name__ == "__main__":
    main()
