"""Key category analysis (2006 GL Vol 1 Ch 4; 2019 Refinement Vol 1 Ch 4).

Approach 1 ranks categories by their share of the national total (level, Eq. 4.1) and
by their contribution to the trend (Eq. 4.2), and takes as key the categories that
together make up 95 % of the sum. Approach 2 weights each by its uncertainty
(Eq. 4.4, 4.5) with a 90 % threshold. Qualitative criteria (Section 4.3.3) are added as
flags. Inputs are CO2-equivalents per category and gas (absolute values: removals count).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Cumulative thresholds of the Guidelines (Vol 1 Ch 4.3.1 and 4.3.2).
THRESHOLD_APPROACH1 = 0.95
THRESHOLD_APPROACH2 = 0.90


def _rank(frame: pd.DataFrame, score: str, threshold: float) -> pd.DataFrame:
    t = frame.sort_values(score, ascending=False, kind="stable").reset_index(drop=True)
    total = t[score].sum()
    share = t[score] / total if total else t[score] * 0
    t["share"] = share
    t["cumulative"] = share.cumsum()
    # key: every category needed to reach the threshold (the one crossing it included)
    before = t["cumulative"] - t["share"]
    t["key"] = before < threshold
    return t


def level_assessment(rows: pd.DataFrame, uncertainty_pct: pd.Series | None = None) -> pd.DataFrame:
    """Level assessment (Eq. 4.1; Approach 2 with uncertainties, Eq. 4.4).

    Parameters
    ----------
    rows
        Columns category, gas, D (year-t emissions, CO2e).
    uncertainty_pct
        For Approach 2: each row's combined uncertainty [%], aligned with ``rows``.

    Returns
    -------
    pandas.DataFrame
        Table 4.2 layout: category, gas, D, level (L), share, cumulative, key.
    """
    t = rows.copy()
    total = t["D"].abs().sum()
    if total == 0:
        raise ValueError("the total of year t is zero: no level assessment possible")
    t["level"] = t["D"].abs() / total
    if uncertainty_pct is None:
        return _rank(t, "level", THRESHOLD_APPROACH1)
    t["level_x_uncertainty"] = t["level"] * np.asarray(uncertainty_pct, float) / 100.0
    return _rank(t, "level_x_uncertainty", THRESHOLD_APPROACH2)


def trend_assessment(rows: pd.DataFrame, uncertainty_pct: pd.Series | None = None) -> pd.DataFrame:
    """Trend assessment (Eq. 4.2; Approach 2 with uncertainties, Eq. 4.5).

    .. math:: T_{x,t} = \\frac{|E_{x,0}|}{\\sum_y |E_{y,0}|} \\cdot
              \\left| \\frac{E_{x,t} - E_{x,0}}{|E_{x,0}|}
              - \\frac{\\sum_y E_{y,t} - \\sum_y E_{y,0}}{|\\sum_y E_{y,0}|} \\right|

    For a category absent in the base year (E_x,0 = 0) the first factor and the
    category's own change combine to :math:`|E_{x,t}| / \\sum_y |E_{y,0}|`.

    Parameters
    ----------
    rows
        Columns category, gas, C (base year), D (year t), CO2e.
    uncertainty_pct
        For Approach 2: each row's combined uncertainty [%].
    """
    t = rows.copy()
    c_abs = t["C"].abs().sum()
    c_sum, d_sum = t["C"].sum(), t["D"].sum()
    if c_abs == 0 or c_sum == 0:
        raise ValueError("the base-year total is zero: no trend assessment possible")
    total_trend = (d_sum - c_sum) / abs(c_sum)
    with np.errstate(divide="ignore", invalid="ignore"):
        own = np.where(t["C"] != 0, (t["D"] - t["C"]) / t["C"].abs(), 0.0)
    weight = t["C"].abs() / c_abs
    t["trend"] = np.where(t["C"] != 0, weight * np.abs(own - total_trend), t["D"].abs() / c_abs)
    if uncertainty_pct is None:
        return _rank(t, "trend", THRESHOLD_APPROACH1)
    t["trend_x_uncertainty"] = t["trend"] * np.asarray(uncertainty_pct, float) / 100.0
    return _rank(t, "trend_x_uncertainty", THRESHOLD_APPROACH2)


def qualitative_flags(rows: pd.DataFrame, uncertainty_pct: pd.Series) -> pd.Series:
    """Flags for the qualitative criteria of Vol 1 Ch 4.3.3 that the data can show:
    ``high uncertainty`` (above 50 %) and ``rapid change`` (more than doubled or halved
    since the base year)."""
    flags = []
    for (c, d), u in zip(rows[["C", "D"]].itertuples(index=False), uncertainty_pct, strict=True):
        f = []
        if u > 50:
            f.append("high uncertainty")
        if c and (d / c > 2 or d / c < 0.5):
            f.append("rapid change")
        if not c and d:
            f.append("new since base year")
        flags.append("; ".join(f))
    return pd.Series(flags, index=rows.index)


def by_category_gas(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows summed to (category, gas), with E and F combined by Eq. 3.2 weights."""
    out = []
    for (cat, gas), g in rows.groupby(["category", "gas"], sort=False):
        d = g["D"].sum()
        row = {"category": cat, "gas": gas, "C": g["C"].sum(), "D": d}
        for col in ("E", "F", "G"):
            if col in g:
                x = g["D"].to_numpy(float)
                u = g[col].to_numpy(float)
                row[col] = float(np.sqrt(((u * x) ** 2).sum()) / abs(d)) if d else 0.0
        out.append(row)
    return pd.DataFrame(out)
