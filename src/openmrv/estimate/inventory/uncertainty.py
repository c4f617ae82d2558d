"""Uncertainty of an inventory: Approach 1 (error propagation) and Approach 2 (Monte Carlo).

References
----------
IPCC (2006), Vol. 1 Ch. 3 (Uncertainties): Eq. 3.1 and 3.2, Table 3.2 (Approach 1,
level and trend), Section 3.2.3.2 (Approach 2, Monte Carlo simulation);
IPCC (2019), 2019 Refinement, Vol. 1 Ch. 3.

All uncertainties here are half-widths of the 95 % confidence interval in percent of
the estimate, as the Guidelines use them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from openmrv.estimate.inventory.estimates import STOICHIOMETRIC
from openmrv.gwp import gwp

APPROACH1_COLUMNS = {
    "C": "base year emissions",
    "D": "year t emissions",
    "E": "activity data uncertainty [%]",
    "F": "emission factor uncertainty [%]",
    "G": "combined uncertainty [%]",
    "H": "contribution to variance in year t",
    "I": "type A sensitivity [%]",
    "J": "type B sensitivity [%]",
    "K": "trend uncertainty from EF [%]",
    "L": "trend uncertainty from activity [%]",
    "M": "contribution to variance in trend",
}


def combine_product(*relative: ArrayLike) -> np.ndarray:
    """Uncertainty of a product of uncorrelated quantities (Vol 1 Eq. 3.1).

    .. math:: U_{total} = \\sqrt{U_1^2 + U_2^2 + \\dots + U_n^2}

    Parameters
    ----------
    relative
        Percentage uncertainties of the factors [%].

    Returns
    -------
    numpy.ndarray
        Percentage uncertainty of the product [%]. Exact for small uncertainties;
        the Guidelines advise Approach 2 above about 60 %.
    """
    return np.sqrt(sum(np.asarray(u, float) ** 2 for u in relative))


def combine_sum(values: ArrayLike, relative: ArrayLike) -> float:
    """Uncertainty of a sum of uncorrelated quantities (Vol 1 Eq. 3.2).

    .. math:: U_{total} = \\frac{\\sqrt{(U_1 x_1)^2 + \\dots + (U_n x_n)^2}}{|x_1 + \\dots + x_n|}

    Parameters
    ----------
    values
        The quantities x_i (same unit).
    relative
        Their percentage uncertainties U_i [%].

    Returns
    -------
    float
        Percentage uncertainty of the sum [%].
    """
    x = np.asarray(values, float)
    u = np.asarray(relative, float)
    total = abs(x.sum())
    if total == 0:
        raise ValueError("the sum is zero: its percentage uncertainty is undefined")
    return float(np.sqrt(((u * x) ** 2).sum()) / total)


def approach1_table(rows: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, float]]:
    """The Approach 1 table (Vol 1 Ch 3 Table 3.2): level and trend uncertainty.

    Parameters
    ----------
    rows
        One row per category and gas with columns ``C`` (base-year emissions),
        ``D`` (year-t emissions), both in CO2-equivalent, ``E`` (activity-data
        uncertainty, %) and ``F`` (emission-factor uncertainty, %). The factor is
        taken as fully correlated between the base year and year t (the same factor
        used in both); the activity data as uncorrelated between them (Table 3.2 notes).

    Returns
    -------
    table : pandas.DataFrame
        The input columns plus G to M of Table 3.2.
    totals : dict
        ``level_pct`` (uncertainty of the year-t total, %) and ``trend_pct`` (of the
        trend, percentage points), with ``trend_pct_of_base`` the trend itself (%).
    """
    t = rows.copy()
    for col in "CDEF":
        if col not in t:
            raise ValueError(f"column {col} ({APPROACH1_COLUMNS[col]}) is missing")
        if t[col].isna().any():
            raise ValueError(f"column {col} ({APPROACH1_COLUMNS[col]}) has missing values")
    if (t[["E", "F"]] < 0).any().any():
        raise ValueError("uncertainties (columns E, F) must not be negative")
    sum_c, sum_d = float(t["C"].sum()), float(t["D"].sum())
    if sum_c == 0 or sum_d == 0:
        raise ValueError("base-year and year-t totals must not be zero")
    t["G"] = combine_product(t["E"], t["F"])
    t["H"] = (t["G"] * t["D"]) ** 2 / sum_d**2
    trend = (sum_d - sum_c) / sum_c * 100.0
    t["I"] = (0.01 * t["D"] + sum_d - (0.01 * t["C"] + sum_c)) / (
        0.01 * t["C"] + sum_c
    ) * 100.0 - trend
    t["J"] = t["D"] / sum_c
    t["K"] = t["I"] * t["F"]
    t["L"] = t["J"] * t["E"] * np.sqrt(2.0)
    t["M"] = t["K"] ** 2 + t["L"] ** 2
    totals = {
        "level_pct": float(np.sqrt(t["H"].sum())),
        "trend_pct": float(np.sqrt(t["M"].sum())),
        "trend_pct_of_base": float(trend),
    }
    return t, totals


def estimate_rows(result, uncertainty, gwp_set: str, years: tuple[int, int]) -> pd.DataFrame:
    """Approach 1 input rows (Table 3.2 columns C-F) from an inventory, one per estimate.

    Column E is the activity series' uncertainty; column F combines the estimate's
    factor uncertainties by Eq. 3.1 (each factor's 95 % half-width, the mean of its lower
    and upper sides when asymmetric). Stoichiometric constants carry no uncertainty.

    Parameters
    ----------
    result : openmrv.estimate.inventory.InventoryResult
    uncertainty : openmrv.estimate.inventory.montecarlo.ActivityUncertainty
    gwp_set
        GWP set for the CO2-equivalents in C and D.
    years
        Base year and year t.
    """
    rows = []
    for est in result.estimates:
        cols = [np.flatnonzero(est.series.years == y) for y in years]
        if any(c.size == 0 for c in cols):
            continue
        c, d = (float(est.values[c[0]]) * gwp(est.gas, gwp_set) for c in cols)
        f_pct = combine_product(
            *[
                100.0 * float(np.mean(f.relative_uncertainty))
                for f in est.factors
                if f.parameter not in STOICHIOMETRIC
            ]
        )
        rows.append(
            {
                "category": est.category,
                "gas": est.gas,
                "key": est.series.key,
                "method": est.method,
                "C": c,
                "D": d,
                "E": uncertainty.pct(est.series),
                "F": float(f_pct),
            }
        )
    return pd.DataFrame(rows)
