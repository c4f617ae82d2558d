"""OSSE design study: what GOSAT, GOSAT-GW and TROPOMI sampling can tell about
Turkmenistan's oil and gas methane (1.B.2) at facility scale.

Run:  python scenarios/turkmenistan_osse.py [--days 365] [--out docs/osse_turkmenistan.csv]

Everything here is SYNTHETIC (an observing-system simulation experiment): the truth is
drawn from the prior, observations are simulated with the column Gaussian plume model of
``openmrv.estimate.inversion.forward`` around the 1.B.2 facilities of the case's register,
and the analytical inversion gives the posterior. What is real: the facility locations
(approximate, see the register), the prior (the case's Tier 1 1.B.2 CH4 for 2020), and the
GOSAT sounding density (University of Leicester proxy files: about 3 good soundings a day
in a 35-43N, 52-67E box, counted in ``../shared/data/satellite``; we use it as the rate).
Assumed (stated, not measured here): sampling geometry and precision of each design below,
a synthetic wind climatology (speed 2-8 m/s, any direction, Pasquill class D), a clear-sky
fraction, a 5 ppb model-error floor added in quadrature, and a prior error of 100 % per
facility of which half is common to all facilities (one Tier 1 factor drives them all).
Facilities placed at the same town centroid cannot be told apart: the register's
approximate coordinates cap the DOFS.
"""

from __future__ import annotations

import argparse
import csv
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT / "src"))

from openmrv.estimate.inversion import NormalEquations, solve  # noqa: E402
from openmrv.estimate.inversion.forward import plume_jacobian  # noqa: E402
from openmrv.estimate.inversion.solver import normal_equations  # noqa: E402

KM = 1000.0


@dataclass(frozen=True)
class Design:
    """A sampling design (assumptions stated in the docstring of this module)."""

    name: str
    pixel_km: float  # pixel size (footprint diameter or side)
    precision_ppb: float  # single-sounding 1-sigma
    revisit_days: float  # days between overpasses of a site
    clear_fraction: float  # share of pixels with a valid retrieval
    targeted: int = 0  # if > 0: only this many largest sources are observed (focus mode)
    random_per_day: float = 0.0  # if > 0: random soundings per day over the country box


DESIGNS = [
    Design("GOSAT (real density, 10.5 km footprints)", 10.5, 12.0, 1.0, 1.0, random_per_day=3.0),
    Design("GOSAT-GW wide mode (10 km, 3-day revisit)", 10.0, 12.0, 3.0, 0.6),
    Design("GOSAT-GW focus mode (3 km, 5 targets)", 3.0, 12.0, 3.0, 0.6, targeted=5),
    Design("TROPOMI (7 x 5.5 km, daily)", 6.2, 15.0, 1.0, 0.5),
]


def facilities(path: Path) -> tuple[np.ndarray, list[str]]:
    """1.B.2 facilities of the register, positions in km east/north of 38N 59E."""
    xy, names = [], []
    with path.open() as fh:
        for r in csv.DictReader(fh):
            if r["category"].startswith("1.B.2") and r["lat"] and r["lon"]:
                lat, lon = float(r["lat"]), float(r["lon"])
                xy.append(((lon - 59.0) * 111.32 * np.cos(np.radians(38.0)), (lat - 38.0) * 110.57))
                names.append(r["name"])
    return np.array(xy) * KM, names


def simulate(
    design: Design, src: np.ndarray, days: int, rng: np.random.Generator, radius_km: float = 50.0
) -> NormalEquations:
    """Normal equations of one design over ``days`` days (unit: kg/s of each source)."""
    n = len(src)
    sig = np.hypot(design.precision_ppb, 5.0)
    total = NormalEquations(np.zeros((n, n)), np.zeros(n), 0.0, 0)
    lo, hi = src.min(0) - 100 * KM, src.max(0) + 100 * KM
    targets = np.arange(design.targeted or n)  # focus mode: the first sites of the register
    step = design.pixel_km * KM
    g = np.arange(-radius_km * KM, radius_km * KM + 1, step)
    patch = np.stack(np.meshgrid(g, g), -1).reshape(-1, 2)
    for day in range(days):
        if design.random_per_day:
            pts = rng.uniform(lo, hi, size=(rng.poisson(design.random_per_day), 2))
        else:
            if day % max(1, round(design.revisit_days)):
                continue
            pts = np.concatenate([src[t] + patch for t in targets])
            pts = np.unique(np.round(pts / step) * step, axis=0)
            pts = pts[rng.uniform(size=len(pts)) < design.clear_fraction]
        if len(pts) == 0:
            continue
        speed = rng.uniform(2.0, 8.0)
        ang = rng.uniform(0, 2 * np.pi)
        k = plume_jacobian(
            pts,
            src,
            np.full(len(pts), speed * np.cos(ang)),
            np.full(len(pts), speed * np.sin(ang)),
            pixel_size=step,
        )
        total = total + normal_equations(k, np.zeros(len(pts)), sig)
    return total


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--days", type=int, default=365)
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "osse_turkmenistan.csv")
    a = p.parse_args()
    src, _ = facilities(ROOT / "examples" / "turkmenistan" / "facilities.csv")
    n = len(src)
    # prior: the case's Tier 1 1.B.2 CH4 for 2020 (1,183 Gg/yr), split evenly, 100 % error
    # per facility, half of it common to all (one Tier 1 factor drives every facility)
    national = 1183.3e6 / (365.25 * 86400)  # kg/s
    x_a = np.full(n, national / n)
    sd = 1.0 * x_a
    s_a = np.outer(sd, sd) * (0.5 + 0.5 * np.eye(n))
    rng = np.random.default_rng(2025_12_20)
    rows = []
    w = np.ones(n)
    prior_sd = np.sqrt(w @ s_a @ w)
    print(
        f"{n} facilities (1.B.2), prior national total {national:.1f} kg/s "
        f"+/- {prior_sd:.1f} (1 sigma), {a.days} days"
    )
    print(f"{'design':45} {'soundings':>10} {'DOFS':>6} {'posterior sd':>13} {'reduction':>9}")
    for d in DESIGNS:
        ne = simulate(d, src, a.days, rng)
        post = solve(ne, x_a, s_a)
        _, _, _, sd = post.total(w)
        rows.append(
            {
                "design": d.name,
                "soundings": ne.m,
                "dofs": round(post.dofs, 2),
                "prior_sd_kg_s": round(prior_sd, 2),
                "posterior_sd_kg_s": round(sd, 2),
                "error_reduction_pct": round(100 * (1 - sd / prior_sd), 1),
            }
        )
        print(
            f"{d.name:45} {ne.m:>10,} {post.dofs:>6.1f} {sd:>10.2f} kg/s "
            f"{100 * (1 - sd / prior_sd):>8.0f}%"
        )
    with a.out.open("w", newline="") as fh:
        wr = csv.DictWriter(fh, fieldnames=list(rows[0]))
        wr.writeheader()
        wr.writerows(rows)
    print(f"written: {a.out}")


if __name__ == "__main__":
    main()
