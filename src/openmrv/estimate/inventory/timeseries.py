"""Time-series consistency: the splicing techniques of 2006 GL Vol 1 Ch 5 (Section 5.3).

Each function fills or joins a series and returns the values with a flag per year
saying how it was obtained, so that a report can show which numbers are estimated:
``""`` reported, ``"I"`` interpolated, ``"E"`` extrapolated (trend), ``"O"`` overlap,
``"S"`` surrogate.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

FLAGS = {
    "": "reported",
    "I": "interpolated (Vol 1 Ch 5.3.3.3)",
    "E": "trend extrapolation (Vol 1 Ch 5.3.3.4)",
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
    years (Vol 1 Ch 5.3.3.4); with one reported year the value is held constant.

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
        flags[gap] = "E"
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
    """
    v = np.asarray(values, float)
    s = np.asarray(proxy, float)
    known = ~np.isnan(v) & ~np.isnan(s) & (s != 0)
    if not known.any():
        raise ValueError("surrogate needs at least one year with both the series and proxy")
    idx = np.arange(v.size)
    ratio = np.interp(idx, idx[known], v[known] / s[known])
    out = v.copy()
    fill = np.isnan(v) & ~np.isnan(s)
    out[fill] = ratio[fill] * s[fill]
    return out, np.where(fill, "S", "").astype(object)
