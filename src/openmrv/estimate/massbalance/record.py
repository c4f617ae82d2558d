"""Annual national emissions with a Monte Carlo over the mass balance's choices, and the
detection limit of the record (:func:`estimate`); the sensitivity to the wind case
(:func:`wind_sensitivity`).

Per draw: a background definition (latitude band, surrounding median, upwind cells of the
drawn wind case; equally likely), a wind case (equally likely), the length scale L
(uniform between the region's smaller and larger extent), the surface elevation
(uniform, table), the national share (uniform between the country's area share of the
region and the table's high end), the year's sampling noise (normal, the scatter of the
background definition's annual enhancement about its linear trend within the satellite
era) and the relative retrieval bias (normal, one draw shared by all years).

Detection limit: the emission that an enhancement of ``z_detect`` × σ_noise would give at
the central coefficients, with σ_noise² = σ_year² + σ_bias² (σ_year the mean year-to-year
scatter of the background definitions' enhancements, σ_bias the relative retrieval
bias). The spread over the background definitions is not noise: on a 5° grid it grows
with the signal (the plume reaches the background cells), so it stays in the Monte
Carlo interval as a method uncertainty, not in the detection limit. A year is
``detectable`` when its mean enhancement exceeds ``z_detect`` × σ_noise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from openmrv.errors import InputError
from openmrv.estimate.massbalance import (
    SourceRegion,
    emission_kt,
    parameter,
    parameter_range,
)

#: first year of the GOSAT series in the merged record (SCIAMACHY alone before)
GOSAT_FIRST_YEAR = 2009


def era(year: int) -> str:
    """'SCIAMACHY' before 2009, else 'GOSAT'."""
    return "SCIAMACHY" if year < GOSAT_FIRST_YEAR else "GOSAT"


def year_scatter(enh: pd.DataFrame, full_years: set[int] | None = None) -> pd.DataFrame:
    """σ_year [ppb] per (background, case, era): the standard deviation of the annual
    enhancement about its linear trend over the era's full years (``full_years``)."""
    rows = []
    for (bg, case), part in enh.groupby(["background", "case"], sort=False):
        part = part.dropna(subset=["enhancement_ppb"])
        for name in ("SCIAMACHY", "GOSAT"):
            sel = part[[era(int(y)) == name for y in part["year"]]]
            if full_years is not None:
                sel = sel[sel["year"].isin(full_years)]
            if len(sel) < 4:
                continue
            x, y = sel["year"].to_numpy(float), sel["enhancement_ppb"].to_numpy()
            fit = np.polyval(np.polyfit(x, y, 1), x)
            rows.append((bg, case, name, float(np.std(y - fit, ddof=2))))
    return pd.DataFrame(rows, columns=["background", "case", "era", "sigma_year_ppb"])


def _draws(n: int, rng: np.random.Generator, region: SourceRegion, winds: pd.DataFrame):
    _, l_lo, l_hi = region.length_m
    h_lo, h_hi = parameter_range("mean_surface_elevation")
    hs_lo, hs_hi = parameter_range("elevation_scale_height")
    share_hi = parameter("national_share_high")
    return {
        "background": rng.integers(0, 3, n),
        "case": rng.integers(0, len(winds), n),
        "length": rng.uniform(l_lo, l_hi, n),
        "mexp": np.exp(-rng.uniform(h_lo, h_hi, n) / rng.uniform(hs_lo, hs_hi, n)),
        "share": rng.uniform(min(region.area_share, share_hi), share_hi, n),
        "bias": rng.normal(0.0, parameter("retrieval_relative_bias"), n),
        "noise": rng.standard_normal(n),
    }


def estimate(
    enh: pd.DataFrame,
    region: SourceRegion,
    winds: pd.DataFrame,
    months: pd.Series,
    seed: int = 0,
    share: tuple[float, float] | None = None,
) -> pd.DataFrame:
    """Annual national emission per year of ``enh`` (:func:`..enhancements`).

    Parameters
    ----------
    enh
        year, background, case, enhancement_ppb.
    region, winds
        The source region and its wind cases (:func:`..wind_cases`).
    months
        Months of data per year (index year).
    seed
        Random seed (the draws of the coefficients are shared by all years).
    share
        Override (low, high) of the national share; (1, 1) estimates the region's total.

    Returns
    -------
    pandas.DataFrame
        Per year: era, months, enhancement_ppb (mean over backgrounds), sigma_noise_ppb,
        snr, value_kt (median), mean_kt, sigma_kt, low_kt, high_kt (2.5 and 97.5 %),
        detection_limit_kt, detectable.
    """
    if enh["enhancement_ppb"].notna().sum() == 0:
        raise InputError("no year has a complete source region", field="xch4_record")
    n = int(parameter("monte_carlo_draws"))
    z = parameter("z_detect")
    rng = np.random.default_rng(seed)
    d = _draws(n, rng, region, winds)
    if share is not None:
        d["share"] = rng.uniform(share[0], share[1], n)
    full = {int(y) for y, m in months.items() if m == 12}
    scatter = year_scatter(enh, full)
    speeds = winds["speed"].to_numpy()
    c = parameter("enhancement_factor_C")
    l_c = region.length_m[0]
    h_c = parameter("mean_surface_elevation") / parameter("elevation_scale_height")
    share_c = 0.5 * (d["share"].min() + d["share"].max())
    rows = []
    for year, part in enh.groupby("year"):
        year = int(year)
        e_name = era(year)
        sig = scatter[scatter["era"] == e_name]
        if part["enhancement_ppb"].isna().all() or sig.empty:
            continue
        table = np.full((3, len(winds)), np.nan)
        noise = np.full((3, len(winds)), np.nan)
        for bi, bg in enumerate(("latitude band", "surrounding median", "upwind")):
            for ci, case in enumerate(winds["case"]):
                key = case if bg == "upwind" else ""
                val = part[(part["background"] == bg) & (part["case"] == key)]
                s = sig[(sig["background"] == bg) & (sig["case"] == key)]
                table[bi, ci] = val["enhancement_ppb"].iloc[0] if len(val) else np.nan
                noise[bi, ci] = s["sigma_year_ppb"].iloc[0] if len(s) else np.nan
        dx = table[d["background"], d["case"]] + noise[d["background"], d["case"]] * d["noise"]
        dx = dx + d["bias"]
        e = emission_kt(dx, speeds[d["case"]], d["length"], c, d["mexp"], d["share"])
        e = e[np.isfinite(e)]
        mean_dx = float(np.nanmean(table))
        sigma_noise = float(
            np.sqrt(np.nanmean(noise**2) + parameter("retrieval_relative_bias") ** 2)
        )
        dl = emission_kt(z * sigma_noise, np.median(speeds), l_c, c, np.exp(-h_c), share_c)
        rows.append(
            {
                "year": year,
                "era": e_name,
                "months": int(months.get(year, 0)),
                "enhancement_ppb": mean_dx,
                "sigma_noise_ppb": sigma_noise,
                "snr": mean_dx / sigma_noise,
                "value_kt": float(np.median(e)),
                "mean_kt": float(e.mean()),
                "sigma_kt": float(e.std()),
                "low_kt": float(np.percentile(e, 2.5)),
                "high_kt": float(np.percentile(e, 97.5)),
                "detection_limit_kt": float(dl),
                "detectable": bool(mean_dx > z * sigma_noise),
            }
        )
    return pd.DataFrame(rows)


def wind_sensitivity(
    enh: pd.DataFrame, region: SourceRegion, winds: pd.DataFrame, years: list[int]
) -> pd.DataFrame:
    """The emission at central coefficients per wind case, averaged over ``years`` and
    over the background definitions that do not depend on the wind [kt/yr]: how far the
    wind range alone moves the result."""
    sel = enh[enh["year"].isin(years) & (enh["case"] == "")]
    dx = float(sel["enhancement_ppb"].mean())
    l_c = region.length_m[0]
    mexp = np.exp(-parameter("mean_surface_elevation") / parameter("elevation_scale_height"))
    share = 0.5 * (region.area_share + parameter("national_share_high"))
    c = parameter("enhancement_factor_C")
    out = winds[["case", "speed"]].copy()
    out["enhancement_ppb"] = dx
    out["value_kt"] = [float(emission_kt(dx, v, l_c, c, mexp, share)) for v in out["speed"]]
    return out
