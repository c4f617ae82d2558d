"""Benchmark: Approach 2 (Monte Carlo) uncertainty.

Run:  python bench/uncertainty.py            (openmrv only)
      BONSAI_PYTHON=/path/to/venv/bin/python python bench/uncertainty.py
      (adds bonsai-ipcc 0.5.3's Monte Carlo on the same equation, in the same run:
       python -m venv /tmp/bonsai_venv && /tmp/bonsai_venv/bin/pip install bonsai-ipcc==0.5.3)

Prints a table:
1. the Turkmenistan case, 10^5 and 10^6 draws: seconds, draws/s, peak traced memory;
2. one equation both tools implement - methanol CO2, Tier 1 (Vol 3 Eq. 3.15,
   1,000 t +/- 10 %, EF 0.67 t CO2/t) - openmrv against bonsai-ipcc: draws/s, the ratio,
   mean and 95 % interval;
3. the physical limit: this machine's rate of drawing standard normal numbers (numpy
   PCG64), against the random numbers openmrv draws per second.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT / "src"))

from openmrv.case import load_case, read_activity_uncertainty  # noqa: E402
from openmrv.estimate.inventory.montecarlo import ActivityUncertainty, approach2  # noqa: E402
from openmrv.stages.inventory import estimate_inventory  # noqa: E402


def _timed(fn):
    tracemalloc.start()
    t0 = time.perf_counter()
    out = fn()
    dt = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return out, dt, peak / 2**20


def case_runs(sizes=(100_000, 1_000_000)):
    case = load_case(ROOT / "examples" / "turkmenistan")
    result = estimate_inventory(case)
    unc = ActivityUncertainty(read_activity_uncertainty(case))
    rows = []
    for n in sizes:
        mc, dt, peak = _timed(
            lambda n=n: approach2(
                result,
                unc,
                case.gwp,
                (case.first_year, case.last_year),
                n_draws=n,
                chunk_size=20_000,
            )
        )
        s = mc.summary.set_index(["category", "year"]).loc[("0", case.last_year)]
        rows.append(
            (
                f"Turkmenistan, {len(result.estimates)} estimates",
                n,
                dt,
                n / dt,
                peak,
                f"{s['mean'] / 1000:.1f} Mt [{s['p2.5'] / 1000:.1f}, {s['p97.5'] / 1000:.1f}]",
            )
        )
    return rows, result


METHANOL_CASE = {
    "case.yaml": "name: methanol\ncountry: TKM\nyears: {first: 2006, last: 2006}\n"
    "qualifiers: {feedstock: natural_gas}\nactivity: [a.csv]\n"
    "uncertainty: {activity: u.csv}\n",
    "a.csv": "category,activity,key,year,value,unit,source,notes\n"
    "2.B.8.a,methanol_production,conventional_steam_reforming,2006,1000,t,bench,\n",
    "u.csv": "category,activity,key,uncertainty_pct,distribution,source,notes\n"
    "2.B.8.a,methanol_production,*,10,normal,bench,\n",
}


def openmrv_methanol(n: int):
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in METHANOL_CASE.items():
            Path(tmp, name).write_text(text)
        case = load_case(tmp)
        result = estimate_inventory(case)
        unc = ActivityUncertainty(read_activity_uncertainty(case))
        t0 = time.perf_counter()
        mc = approach2(
            result,
            unc,
            case.gwp,
            (2006, 2006),
            n_draws=n,
            chunk_size=250_000,
            categories=["2.B.8.a"],
        )
        dt = time.perf_counter() - t0
    x = mc.draws[:, 0, 1].astype(float) - 0.0  # CO2e of 2.B.8.a (CO2 + CH4 x GWP)
    return dt, x


def bonsai_methanol(python: str, reps: int = 20):
    out = subprocess.run(
        [python, str(Path(__file__).with_name("_bonsai_mc.py")), "1000", "0.1", str(reps)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def rng_limit(n=10_000_000):
    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    rng.standard_normal(n)
    return n / (time.perf_counter() - t0)


def main() -> None:
    print("Approach 2 (Monte Carlo) benchmark - machine:", os.cpu_count(), "cores")
    rows, result = case_runs()
    print(f"\n{'run':42} {'draws':>10} {'seconds':>8} {'draws/s':>10} {'peak MB':>8}  total 2020")
    for name, n, dt, rate, peak, total in rows:
        print(f"{name:42} {n:>10,} {dt:>8.2f} {rate:>10,.0f} {peak:>8.0f}  {total}")
    n_vars = sum(e.series.years.size for e in result.estimates) + len(
        {f.id for e in result.estimates for f in e.factors}
    )
    limit = rng_limit()
    rate = rows[-1][3]
    print(
        f"\nphysical limit: numpy draws {limit / 1e6:.0f} M normals/s on one core; a draw of the "
        f"case needs about {n_vars} random numbers -> at most {limit / n_vars:,.0f} draws/s; "
        f"openmrv reaches {rate:,.0f} ({100 * rate * n_vars / limit:.0f} % of the limit)"
    )
    n = 1_000_000
    dt, x = openmrv_methanol(n)
    ours = n / dt
    print(
        "\nmethanol, Tier 1 (1,000 t +/- 10 %, EF 0.67 t CO2/t), same run (openmrv's CO2e also "
        "holds the Table 3.13 CH4, 2.3 kg/t x GWP 28 = 64 t; bonsai-ipcc's is CO2 only):"
    )
    print(f"{'tool':14} {'draws/s':>12} {'mean t CO2e':>12} {'2.5 %':>9} {'97.5 %':>9}")
    lo, hi = np.percentile(x, [2.5, 97.5]) * 1000
    print(f"{'openmrv':14} {ours:>12,.0f} {x.mean() * 1000:>12.1f} {lo:>9.1f} {hi:>9.1f}")
    python = os.environ.get("BONSAI_PYTHON")
    if python:
        b = bonsai_methanol(python)
        theirs = b["draws_per_run"] / b["seconds_per_run"]
        print(
            f"{'bonsai-ipcc':14} {theirs:>12,.0f} {b['mean']:>12.1f} {b['p2.5']:>9.1f} "
            f"{b['p97.5']:>9.1f}   (import {b['import_s']:.0f} s not counted)"
        )
        print(f"ratio openmrv / bonsai-ipcc: {ours / theirs:,.1f} x (goal >= 10 x)")
    else:
        print("bonsai-ipcc: set BONSAI_PYTHON to a venv with bonsai-ipcc==0.5.3 to compare")


if __name__ == "__main__":
    main()
