"""Benchmark: Approach 2 (Monte Carlo) uncertainty.

Run:  python bench/uncertainty.py            (openmrv only)
      python bench/uncertainty.py --memory [--src OTHER/src]
      (peak memory only, each size in a fresh process; --src measures another checkout)
      BONSAI_PYTHON=/path/to/venv/bin/python python bench/uncertainty.py
      (adds bonsai-ipcc 0.5.3's Monte Carlo on the same equation, in the same run:
       python -m venv /tmp/bonsai_venv && /tmp/bonsai_venv/bin/pip install bonsai-ipcc==0.5.3)

Prints:
1. throughput against the random-number limit: interleaved rounds of the Turkmenistan
   case's Monte Carlo and of numpy's Generator drawing the same number of standard normal
   variates (in blocks of one chunk), in the same process; the ratio of the two rates per
   round, its median and spread (goal >= 60 %);
2. one equation both tools implement - methanol CO2, Tier 1 (Vol 3 Eq. 3.15,
   1,000 t +/- 10 %, EF 0.67 t CO2/t) - openmrv against bonsai-ipcc: draws/s, the ratio,
   mean and 95 % interval;
3. with --memory: the peak resident memory the Monte Carlo adds (ru_maxrss after it less
   before it, in a fresh process per size) at 10^4, 10^5 and 10^6 draws, and the growth
   per draw; no timing is taken in that pass.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT / "src"))

import openmrv.estimate.inventory.montecarlo as mc_module  # noqa: E402
from openmrv.case import load_case, read_activity_uncertainty  # noqa: E402
from openmrv.estimate.inventory.montecarlo import ActivityUncertainty, approach2  # noqa: E402
from openmrv.stages.inventory import estimate_inventory  # noqa: E402

CHUNK = 20_000


def _case():
    case = load_case(ROOT / "examples" / "turkmenistan")
    result = estimate_inventory(case)
    unc = ActivityUncertainty(read_activity_uncertainty(case))
    return case, result, unc


def n_variates(result) -> int:
    """Issue 19's count of the random numbers of one draw: one per activity value and
    year of each estimate, one per factor row (more than are drawn now: a series shared
    by several estimates is drawn once, :func:`variates_drawn`)."""
    return sum(e.series.years.size for e in result.estimates) + len(
        {f.id for e in result.estimates for f in e.factors}
    )


def variates_drawn(result, unc, years, gwp_set: str) -> int:
    """Random numbers one draw of the case actually takes now, counted while a small run
    draws them (activity series shared by several estimates are drawn once per chunk)."""
    drawn = [0]
    original = mc_module.Spread.ratios

    def counting(self, rng, n, out=None):
        drawn[0] += n
        return original(self, rng, n, out)

    mc_module.Spread.ratios = counting
    try:
        approach2(result, unc, gwp_set, years, n_draws=100, chunk_size=100)
    finally:
        mc_module.Spread.ratios = original
    return drawn[0] // 100


def throughput(n: int = 40_000, rounds: int = 5) -> dict[str, float]:
    """Interleaved rounds: the case's Monte Carlo (n draws) and numpy drawing the same
    number of standard normal variates in blocks of one chunk; rates and their ratio."""
    case, result, unc = _case()
    years = (case.first_year, case.last_year)
    per_draw = variates_drawn(result, unc, years, case.gwp)
    rng = np.random.default_rng(0)
    ratios, ours, limit = [], [], []
    for _ in range(rounds):
        t0 = time.perf_counter()
        approach2(result, unc, case.gwp, years, n_draws=n, chunk_size=CHUNK)
        t_mc = time.perf_counter() - t0
        t0 = time.perf_counter()
        left = n * per_draw
        while left > 0:
            rng.standard_normal(min(left, CHUNK * 31))
            left -= CHUNK * 31
        t_rng = time.perf_counter() - t0
        ours.append(n / t_mc)
        limit.append(n / t_rng)
        ratios.append(t_rng / t_mc)
    r = np.array(ratios)
    return {
        "draws": n,
        "rounds": rounds,
        "variates_per_draw": per_draw,
        "variates_per_draw_issue": n_variates(result),
        "ours_draws_per_s": float(np.median(ours)),
        "limit_draws_per_s": float(np.median(limit)),
        "ratio_median": float(np.median(r)),
        "ratio_min": float(r.min()),
        "ratio_max": float(r.max()),
    }


_MEMORY_CHILD = """
import resource, sys, time
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from openmrv.case import load_case, read_activity_uncertainty
from openmrv.estimate.inventory.montecarlo import ActivityUncertainty, approach2
from openmrv.stages.inventory import estimate_inventory
case = load_case(Path(sys.argv[3]) / "examples" / "turkmenistan")
result = estimate_inventory(case)
unc = ActivityUncertainty(read_activity_uncertainty(case))
approach2(result, unc, case.gwp, (case.first_year, case.last_year), n_draws=200, chunk_size=200)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
approach2(result, unc, case.gwp, (case.first_year, case.last_year), n_draws=int(sys.argv[2]),
          chunk_size=20000)
dt = time.perf_counter() - t0
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(before, after, dt)
"""


def memory(src: Path, sizes=(10_000, 100_000, 1_000_000)) -> list[tuple[int, float, float]]:
    """(draws, peak resident memory of the process [MiB], memory the Monte Carlo added
    above the process before it [MiB]) per size, each in a fresh process."""
    rows = []
    for n in sizes:
        out = subprocess.run(
            [sys.executable, "-c", _MEMORY_CHILD, str(src), str(n), str(ROOT)],
            capture_output=True,
            text=True,
            check=True,
        )
        before, after, _ = out.stdout.split()
        rows.append((n, int(after) / 1024, (int(after) - int(before)) / 1024))
    return rows


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
    s = mc.summary[mc.summary["category"] == "2.B.8.a"].iloc[-1]  # CO2e (CO2 + CH4 x GWP) [Gg]
    return dt, (1000 * s["mean"], 1000 * s["p2.5"], 1000 * s["p97.5"])


def bonsai_methanol(python: str, reps: int = 20):
    out = subprocess.run(
        [python, str(Path(__file__).with_name("_bonsai_mc.py")), "1000", "0.1", str(reps)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    load = os.getloadavg()
    print(
        "Approach 2 (Monte Carlo) benchmark - machine:",
        os.cpu_count(),
        "cores, load average",
        " ".join(f"{x:.2f}" for x in load),
    )
    if "--memory" in sys.argv:
        src = Path(sys.argv[sys.argv.index("--src") + 1]) if "--src" in sys.argv else ROOT / "src"
        print(f"\npeak memory (ru_maxrss, fresh process per size), code from {src}")
        print(f"{'draws':>10} {'process MiB':>12} {'added by MC MiB':>16}")
        rows = memory(src.resolve())
        for n, peak, added in rows:
            print(f"{n:>10,} {peak:>12.0f} {added:>16.0f}")
        (n0, _, a0), (n1, _, a1) = rows[-2], rows[-1]
        print(
            f"growth from {n0:,} to {n1:,} draws: "
            f"{(a1 - a0) * 2**20 / (n1 - n0):.1f} bytes per draw"
        )
        return
    t = throughput()
    print(
        f"\nthroughput, Turkmenistan ({t['draws']:,} draws, {t['variates_per_draw']} "
        f"variates drawn per draw, {t['rounds']} interleaved rounds):"
    )
    as_issue = 100 * t["ratio_median"] * t["variates_per_draw_issue"] / t["variates_per_draw"]
    print(
        f"  (issue 19 counted {t['variates_per_draw_issue']} variates per draw; "
        f"at that count the ratio would be {as_issue:.0f} %)"
    )
    print(
        f"  openmrv {t['ours_draws_per_s']:,.0f} draws/s; numpy Generator limit "
        f"{t['limit_draws_per_s']:,.0f} draws/s"
    )
    print(
        f"  ratio openmrv / limit: median {100 * t['ratio_median']:.0f} % "
        f"(spread {100 * t['ratio_min']:.0f}-{100 * t['ratio_max']:.0f} %; goal >= 60 %)"
    )
    n = 1_000_000
    dt, x = openmrv_methanol(n)
    ours = n / dt
    print(
        "\nmethanol, Tier 1 (1,000 t +/- 10 %, EF 0.67 t CO2/t), same run (openmrv's CO2e also "
        "holds the Table 3.13 CH4, 2.3 kg/t x GWP 28 = 64 t; bonsai-ipcc's is CO2 only):"
    )
    print(f"{'tool':14} {'draws/s':>12} {'mean t CO2e':>12} {'2.5 %':>9} {'97.5 %':>9}")
    mean, lo, hi = x
    print(f"{'openmrv':14} {ours:>12,.0f} {mean:>12.1f} {lo:>9.1f} {hi:>9.1f}")
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
