"""Time-series consistency: the splicing techniques of 2006 GL Vol 1 Ch 5 (Section 5.3).

Each function fills or joins a series and returns the values with a flag per year
saying how it was obtained, so that a report can show which numbers are estimated:
``""`` reported, ``"I"`` interpolated, ``"E"`` extrapolated (trend), ``"C"`` held
constant (one reported year: no trend to extrapolate), ``"O"`` overlap, ``"S"`` surrogate.

:func:`held_constant` finds the series whose years are mostly one reported value carried
to the others, and :func:`held_constant_warnings` says so in words for the run's console,
``run.json`` and report: such a series is flat by construction, not by evidence.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

FLAGS = {
    "": "reported",
    "I": "interpolated (Vol 1 Ch 5.3.3.3)",
    "E": "trend extrapolation (Vol 1 Ch 5.3.3.4)",
    "C": "held constant: the one reported year carried to this year; no trend can be "
    "fitted to one year (trend extrapolation, Vol 1 Ch 5.3.3.4, needs a trend)",
    "O": "overlap (Vol 1 Ch 5.3.3.1)",
    "S": "surrogate data (Vol 1 Ch 5.3.3.2)",
}


def interpolate(years: ArrayLike, values: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Linear interpolation of missing (NaN) values between reported years (Eq. none; 5.3.3.3).

    Returns the filled values and flags; leading and trailing gaps stay NaN.
    """
    y = np.asarray(years, float)
    v = np.asarray(values, float).copy()
    known = ~np.isnan(v)
    flags = np.where(known, "", "").astype(object)
    if known.sum() < 2:
        return v, flags
    inner = (~known) & (y > y[known].min()) & (y < y[known].max())
    v[inner] = np.interp(y[inner], y[known], v[known])
    flags[inner] = "I"
    return v, flags


def extrapolate_trend(
    years: ArrayLike, values: ArrayLike, n_fit: int = 5
) -> tuple[np.ndarray, np.ndarray]:
    """Fill leading and trailing gaps by a linear trend of the nearest ``n_fit`` reported
    years (Vol 1 Ch 5.3.3.4); with one reported year the value is held constant and
    flagged ``"C"``, not ``"E"``: there is no trend to extrapolate.

    Negative extrapolated values are clipped to zero (activity data cannot be negative).
    """
    y = np.asarray(years, float)
    v = np.asarray(values, float).copy()
    known = np.flatnonzero(~np.isnan(v))
    flags = np.full(v.shape, "", dtype=object)
    if known.size == 0:
        return v, flags
    for side, idx in (("lead", known[:n_fit]), ("trail", known[-n_fit:])):
        if idx.size >= 2:
            slope, icpt = np.polyfit(y[idx], v[idx], 1)
        else:
            slope, icpt = 0.0, v[idx[0]]
        gap = (np.arange(v.size) < known[0]) if side == "lead" else (np.arange(v.size) > known[-1])
        v[gap] = np.maximum(slope * y[gap] + icpt, 0.0)
        flags[gap] = "E" if idx.size >= 2 else "C"
    return v, flags


def overlap(old: ArrayLike, new: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Splice an old method's series onto a new one by the overlap technique (Eq. 5.1).

    .. math:: y_0 = x_0 \\cdot \\frac{\\sum_{i=m}^{n} y_i}{\\sum_{i=m}^{n} x_i}

    Years where both are given define the ratio; years with only the old series are
    scaled by it. Returns the spliced series and flags ("O" where scaled).
    """
    x = np.asarray(old, float)
    y = np.asarray(new, float)
    both = ~np.isnan(x) & ~np.isnan(y)
    if not both.any():
        raise ValueError("overlap needs at least one year where both series are given")
    ratio = y[both].sum() / x[both].sum()
    out = y.copy()
    fill = np.isnan(y) & ~np.isnan(x)
    out[fill] = x[fill] * ratio
    flags = np.where(fill, "O", "").astype(object)
    return out, flags


def surrogate(values: ArrayLike, proxy: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Fill gaps in proportion to a surrogate series (Eq. 5.2).

    .. math:: y_0 = y_t \\cdot \\frac{s_0}{s_t}

    The ratio y/s is interpolated between reported years and held constant beyond them.

    A proxy that ends the year before the series begins (a predecessor's aggregate: the
    USSR's FAOSTAT series end in 1991, its successor states' begin in 1992) shares no year
    with it; then t is the series' first year and s_t the proxy's last value, i.e. the
    aggregate is taken as unchanged over that one year (the country's share of it in its
    first year), an assumption (openmrv) the case states where it uses it.
    """
    v = np.asarray(values, float)
    s = np.asarray(proxy, float)
    known = ~np.isnan(v) & ~np.isnan(s) & (s != 0)
    idx = np.arange(v.size)
    if not known.any():
        have_v, have_s = idx[~np.isnan(v)], idx[~np.isnan(s) & (s != 0)]
        if not have_v.size or not have_s.size or have_s.max() + 1 != have_v.min():
            raise ValueError(
                "surrogate needs at least one year with both the series and proxy, or a "
                "proxy that ends the year before the series begins"
            )
        ratio = np.full(v.size, v[have_v.min()] / s[have_s.max()])
        out = v.copy()
        fill = np.isnan(v) & ~np.isnan(s)
        out[fill] = ratio[fill] * s[fill]
        return out, np.where(fill, "S", "").astype(object)
    ratio = np.interp(idx, idx[known], v[known] / s[known])
    out = v.copy()
    fill = np.isnan(v) & ~np.isnan(s)
    out[fill] = ratio[fill] * s[fill]
    return out, np.where(fill, "S", "").astype(object)


def held_constant(gap_filling: pd.DataFrame, first: int, last: int) -> pd.DataFrame:
    """The series held constant (flag ``"C"``) over at least half of the years.

    Parameters
    ----------
    gap_filling
        The gap-filling log (``gap_filling.csv``: category, activity, key, year, flag,
        technique).
    first, last
        The inventory years.

    Returns
    -------
    pandas.DataFrame
        category, activity, key, years_held (count), first_held, last_held; one row per
        series, sorted by category.
    """
    cols = ["category", "activity", "key", "years_held", "first_held", "last_held"]
    if gap_filling.empty:
        return pd.DataFrame(columns=cols)
    c = gap_filling[(gap_filling["flag"] == "C") & gap_filling["year"].between(first, last)]
    out = (
        c.groupby(["category", "activity", "key"], sort=True)["year"]
        .agg(years_held="count", first_held="min", last_held="max")
        .reset_index()
    )
    return out[out["years_held"] * 2 >= last - first + 1][cols].reset_index(drop=True)


def held_constant_warnings(gap_filling: pd.DataFrame, first: int, last: int) -> list[str]:
    """One sentence per IPCC sector whose series are mostly one value held constant."""
    held = held_constant(gap_filling, first, last)
    out = []
    for sector, grp in held.groupby(held["category"].str.split(".").str[0], sort=True):
        cats = ", ".join(sorted(grp["category"].unique()))
        span = f"{int(grp['first_held'].min())}-{int(grp['last_held'].max())}"
        out.append(
            f"sector {sector}: {len(grp)} activity series ({cats}) have one reported year "
            f"held constant over {span}, so the sector's trend there is flat by "
            "construction, not by evidence. Trend extrapolation (IPCC 2006 Vol 1 Ch 5, "
            "5.3.3.4) needs at least two reported years; give the annual series, or a "
            "surrogate (5.3.3.2) in case.yaml gap_filling (see gap_filling.csv, flag C)."
        )
    return out
