"""Bottom-up against top-down, category by category (2019 Refinement, Vol 1 Ch 6).

The 2019 Refinement (Vol 1 Ch 6.10, "Comparisons with atmospheric measurements") asks
that an inventory and an independent atmospheric estimate be compared *with both
uncertainties*, that the comparison say whether they agree, and that a disagreement be
explained by the sources that drive it. :func:`compare_topdown` does that for any pair
of tables:

- **bottom-up**: category, gas, year, value_kt and its 95 % interval low_kt, high_kt;
- **top-down**: category (an IPCC code, or a facility id when the bottom-up table has
  one), gas, year, value_kt, sigma_kt (1-sigma), evidence (a name), kind (``total``
  or ``lower_bound``), sensitivity and sensitivity_measure (optional; e.g. the DOFS of
  the inversion elements behind the total), osse (synthetic observations).

Test, per row:

    z = (top_down - bottom_up) / sqrt(sigma_bu^2 + sigma_td^2)

The bottom-up 1-sigma comes from its 95 % interval. Inventory intervals are often
asymmetric (lognormal Monte Carlo results); the test then uses the half of the interval
on the side of the difference (a split normal, which for a lognormal quantile pair is
exact at the 2.5 and 97.5 % points):

    sigma_bu = (high - value) / 1.96   if top_down >= bottom_up
    sigma_bu = (value - low) / 1.96    otherwise

For a symmetric interval both equal (high - low) / (2 x 1.96).

Verdicts: the exact strings, the evidence kind each applies to, its rule and its
threshold with the source of each are one table, ``data/verdicts.csv`` (read by
:func:`verdict_table`; the run folder's ``VERIFICATION_FLAGS`` are its verdicts). In order:

- ``insufficient coverage`` (any kind): the row's optional ``valid_views`` (the valid
  views of its site(s) in the year) is below the table's threshold (16, from binomial
  statistics): a detection frequency, hence an annual figure, cannot be had; the row has
  no value and no test is made;
- ``not comparable (sensitivity too low)``: the top-down row's sensitivity is below the
  threshold of its measure in ``data/comparability.csv`` (the posterior is mostly the
  prior, which is the inventory itself);
- ``total`` evidence (two-sided): ``inventory likely low`` if z > 1.96, ``inventory likely
  high`` if z < -1.96, else ``consistent``;
- ``lower_bound`` evidence (summed plume rates see only emitters above the detection
  limit): ``inventory likely low (below the observed lower bound)`` if the top-down's
  lower 95 % bound exceeds the inventory's upper 95 % bound, else ``no contradiction
  (lower bound below the inventory)``; never ``consistent``, never ``likely high``.

The top-down's 95 % interval is its own where the row gives one (optional ``low_kt``,
``high_kt``: a Monte Carlo interval, asymmetric where the physics is), else value ± 1.96
sigma; z then uses the top-down half-interval on the side of the difference, as for the
inventory.
"""

from __future__ import annotations

import csv
import math
from functools import cache
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from openmrv.errors import InputError
from openmrv.runfolder import (
    TOP_DOWN_COLUMNS,
    VERDICTS,
    VERDICTS_CSV_PATH,
    VERIFICATION_COLUMNS,
    VERIFICATION_FLAGS,
)

Z95 = 1.959963984540054  # standard normal 97.5 % quantile
COMPARABILITY_FILE = Path(__file__).parent / "data" / "comparability.csv"
FLAGS = VERIFICATION_FLAGS  # the verdicts of data/verdicts.csv
Kind = Literal["total", "lower_bound"]
#: verification.csv columns (the run-folder contract, declared in openmrv.runfolder).
COLUMNS = list(VERIFICATION_COLUMNS)
BOTTOM_UP_COLUMNS = ("category", "gas", "year", "value_kt", "low_kt", "high_kt")


@cache
def verdict_table() -> dict[str, dict[str, str]]:
    """The rows of ``data/verdicts.csv`` by key (verdict, evidence_kind, rule, threshold,
    unit, source, notes)."""
    with VERDICTS_CSV_PATH.open(newline="") as fh:
        return {r["key"]: r for r in csv.DictReader(fh)}


def verdict_threshold(key: str) -> float:
    """The numeric threshold of a verdict of ``data/verdicts.csv``."""
    return float(verdict_table()[key]["threshold"])


@cache
def sensitivity_thresholds() -> dict[str, float]:
    """Threshold per sensitivity measure (``data/comparability.csv``)."""
    with COMPARABILITY_FILE.open() as fh:
        return {r["measure"]: float(r["threshold"]) for r in csv.DictReader(fh)}


def bottom_up_sigma(value: float, low: float, high: float, above: bool) -> float:
    """1-sigma of a bottom-up estimate from its 95 % interval, on one side [kt].

    Parameters
    ----------
    value, low, high
        Estimate and its 95 % interval [kt].
    above
        The top-down estimate lies above the bottom-up one: use the upper half.
    """
    half = (high - value) if above else (value - low)
    return max(half, 0.0) / Z95


def co2e_interval_as_gas(
    gas_kt: float, co2e_mean: float, co2e_low: float, co2e_high: float, gwp_factor: float
) -> tuple[float, float]:
    """The 95 % interval of one gas of a category from the interval of its CO2e total.

    The Monte Carlo reports a category's CO2-equivalent total; where a gas makes a
    share s = gas_kt x GWP / co2e_mean of it, its interval is taken as the total's
    interval scaled by that share and converted back to mass with the same GWP:
    low = co2e_low x s / GWP. This assumes the gas varies with the total (the
    category's other gases are small or move together).

    Parameters
    ----------
    gas_kt
        The gas's estimate [kt].
    co2e_mean, co2e_low, co2e_high
        Mean and 95 % interval of the category total [kt CO2 eq].
    gwp_factor
        GWP of the gas in the set used for the CO2e [kg CO2 eq / kg]
        (:func:`openmrv.gwp.gwp`).
    """
    if not co2e_mean:
        return gas_kt, gas_kt
    share = gas_kt * gwp_factor / co2e_mean
    return co2e_low / gwp_factor * share, co2e_high / gwp_factor * share


def consistency_test(
    bottom_up: float,
    bu_low: float,
    bu_high: float,
    top_down: float,
    td_sigma: float,
    kind: Kind = "total",
    sensitivity: float | None = None,
    sensitivity_measure: str | None = None,
    td_low: float | None = None,
    td_high: float | None = None,
    valid_views: float | None = None,
) -> tuple[float, str]:
    """z and verdict of one comparison (see the module notes; ``data/verdicts.csv``).

    Parameters
    ----------
    bottom_up, bu_low, bu_high
        Inventory estimate and its 95 % interval [kt].
    top_down, td_sigma
        Top-down estimate and its 1-sigma [kt].
    kind
        ``total`` (two-sided) or ``lower_bound``.
    sensitivity, sensitivity_measure
        Optional: the top-down row's sensitivity and its measure (comparability.csv).
    td_low, td_high
        Optional: the top-down's own 95 % interval [kt] (else value ± 1.96 sigma).
    valid_views
        Optional: valid views of the evidence's site(s) in the year.

    Returns
    -------
    tuple
        z [1] (NaN without a test) and one of :data:`FLAGS`.

    Raises
    ------
    InputError
        Unknown ``kind`` or sensitivity measure.
    """
    if kind not in ("total", "lower_bound"):
        raise InputError(f"kind '{kind}' unknown; use 'total' or 'lower_bound'", field="kind")
    if valid_views is not None and not _isnan(valid_views):
        if valid_views < verdict_threshold("insufficient_coverage"):
            return math.nan, VERDICTS["insufficient_coverage"]
    low = top_down - Z95 * td_sigma if td_low is None or _isnan(td_low) else td_low
    high = top_down + Z95 * td_sigma if td_high is None or _isnan(td_high) else td_high
    above = top_down >= bottom_up
    sd_td = max(top_down - low if above else high - top_down, 0.0) / Z95
    sd = math.hypot(bottom_up_sigma(bottom_up, bu_low, bu_high, above), sd_td)
    diff = top_down - bottom_up
    z = diff / sd if sd > 0 else (0.0 if diff == 0 else math.copysign(math.inf, diff))
    if sensitivity is not None and not _isnan(sensitivity):
        limits = sensitivity_thresholds()
        if sensitivity_measure not in limits:
            raise InputError(
                f"sensitivity measure '{sensitivity_measure}' unknown; use one of "
                f"{', '.join(limits)} ({COMPARABILITY_FILE.name})",
                field="sensitivity_measure",
            )
        if sensitivity < limits[sensitivity_measure]:
            return z, VERDICTS["not_comparable"]
    if kind == "lower_bound":
        if low > bu_high:
            return z, VERDICTS["below_lower_bound"]
        return z, VERDICTS["no_contradiction"]
    limit = verdict_threshold("likely_low")
    if z > limit:
        return z, VERDICTS["likely_low"]
    if z < -verdict_threshold("likely_high"):
        return z, VERDICTS["likely_high"]
    return z, VERDICTS["consistent"]


def _isnan(v) -> bool:
    try:
        return bool(np.isnan(v))
    except TypeError:
        return v is None


def _need(frame: pd.DataFrame, cols, name: str) -> None:
    lacking = [c for c in cols if c not in frame.columns]
    if lacking:
        raise InputError(
            f"the {name} table lacks columns {lacking}; it needs {list(cols)}", field=name
        )


def _explain(
    row, bu_row, kind: str, flag: str, z: float, sensitivity, contributors: pd.DataFrame | None
) -> str:
    inventory = (
        f"the inventory's {bu_row.value_kt:,.1f} kt (95 %: {bu_row.low_kt:,.1f}–"
        f"{bu_row.high_kt:,.1f})"
    )
    if flag == VERDICTS["insufficient_coverage"]:
        parts = [
            f"{row.evidence} ({row.year}): {row.valid_views:,.0f} valid view(s) of the "
            f"site(s) in the year, fewer than the {verdict_threshold('insufficient_coverage'):.0f} "
            f"a detection frequency needs (data/verdicts.csv): {_few(row.valid_views)} says "
            f"nothing about a year, so no annual figure is given and nothing is compared with "
            f"{inventory}. "
            "The detections stay listed in the plume table."
        ]
        note = getattr(row, "note", "")
        if isinstance(note, str) and note:
            parts.append(note)
        return " ".join(parts)
    low, high = _interval(row)
    interval = "" if low is None else f", 95 %: {low:,.1f}–{high:,.1f}"
    parts = [
        f"{row.evidence} ({row.year}): {row.value_kt:,.1f} ± {row.sigma_kt:,.1f} kt "
        f"(1σ{interval}) against {inventory}; z = {z:+.2f}."
    ]
    if flag == VERDICTS["not_comparable"] and row.sensitivity_measure == "xch4_snr":
        parts.append(
            f"The record's enhancement is below what it can detect (signal-to-noise "
            f"{sensitivity:.2f}, below {sensitivity_thresholds()['xch4_snr']:.2f})."
        )
    elif flag == VERDICTS["not_comparable"]:
        parts.append(
            f"The top-down estimate is mostly its prior ({row.sensitivity_measure} = "
            f"{sensitivity:.2f}, below {sensitivity_thresholds()[row.sensitivity_measure]})."
        )
    elif kind == "lower_bound":
        lo = row.value_kt - Z95 * row.sigma_kt if low is None else low
        relation = "above" if flag == VERDICTS["below_lower_bound"] else "not above"
        parts.append(
            "The top-down covers only emitters above the detection limit: a lower bound, "
            "able to show the inventory too low, never to agree with it or show it too high. "
            f"Its lower 95 % bound, {lo:,.1f} kt, is {relation} the inventory's upper 95 % "
            f"bound, {bu_row.high_kt:,.1f} kt."
        )
    note = getattr(row, "note", "")
    if isinstance(note, str) and note:
        parts.append(note)
    if contributors is not None and len(contributors):
        sel = contributors[
            (contributors["category"] == row.category)
            & (contributors["gas"] == row.gas)
            & (contributors["evidence"] == row.evidence)
            & (contributors["year"] == row.year)
        ].sort_values("value_kt", ascending=False)
        if len(sel):
            total = float(sel["value_kt"].sum())
            top = sel.head(3)
            named = ", ".join(
                f"{n} {v:,.1f} kt ({100 * v / total:.0f} %)" if total else f"{n} {v:,.1f} kt"
                for n, v in zip(top["name"], top["value_kt"], strict=True)
            )
            parts.append(f"Driven by {named} of {len(sel)} sources.")
    return " ".join(parts)


def _few(views: float) -> str:
    return "one scene" if views <= 1 else f"{views:,.0f} days of scenes"


def _interval(row) -> tuple[float | None, float | None]:
    low, high = getattr(row, "low_kt", None), getattr(row, "high_kt", None)
    if low is None or high is None or _isnan(low) or _isnan(high):
        return None, None
    return float(low), float(high)


def b_row_of(b) -> pd.Series:
    """The inventory side of one comparison (value and 95 % interval) as a Series."""
    return pd.Series({"value_kt": b.value_kt, "low_kt": b.low_kt, "high_kt": b.high_kt})


def compare_topdown(
    bottom_up: pd.DataFrame,
    top_down: pd.DataFrame,
    contributors: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Compare top-down estimates with the inventory, row by row.

    Parameters
    ----------
    bottom_up
        category, gas, year, value_kt, low_kt, high_kt (95 % interval) [kt].
    top_down
        category, gas, year, value_kt, sigma_kt (1-sigma) [kt], evidence, kind
        (``total`` or ``lower_bound``); optional sensitivity, sensitivity_measure (a
        measure of ``data/comparability.csv``), osse (bool), low_kt and high_kt (the
        estimate's own 95 % interval, e.g. a Monte Carlo's), valid_views (valid views of
        the site(s) in the year; below the coverage threshold: ``insufficient coverage``,
        value_kt may then be empty), note (text added to the explanation). A top-down
        year after the last inventory year is compared with the last inventory year.
    contributors
        Optional: category, gas, evidence, year, name, value_kt: the sources or
        facilities that make up each top-down estimate; the three largest are named
        in the explanation.

    Returns
    -------
    pandas.DataFrame
        The :data:`COLUMNS` of ``verification.csv``.

    Raises
    ------
    InputError
        A table lacks columns, or a top-down row has no bottom-up counterpart.
    """
    _need(bottom_up, BOTTOM_UP_COLUMNS, "bottom-up")
    _need(top_down, TOP_DOWN_COLUMNS, "top-down")
    if contributors is not None:
        _need(
            contributors,
            ("category", "gas", "evidence", "year", "name", "value_kt"),
            "contributors",
        )
    bu = bottom_up.set_index(["category", "gas", "year"]).sort_index()
    td = top_down.copy()
    optional = (
        ("sensitivity", np.nan),
        ("sensitivity_measure", ""),
        ("osse", False),
        ("low_kt", np.nan),
        ("high_kt", np.nan),
        ("valid_views", np.nan),
        ("note", ""),
        ("detection_limit_kt", np.nan),
    )
    for col, default in optional:
        if col not in td:
            td[col] = default
    rows = []
    for i, r in enumerate(td.itertuples(index=False)):
        key = (r.category, r.gas)
        years = sorted(int(y) for (c, g, y) in bu.index if (c, g) == key)
        if not years:
            raise InputError(
                f"top-down row {i + 1} ({r.evidence}): no bottom-up estimate of {r.category} "
                f"{r.gas}",
                field="category",
            )
        earlier = [y for y in years if y <= int(r.year)]
        if not earlier:
            raise InputError(
                f"top-down row {i + 1} ({r.evidence}): year {r.year} precedes the inventory "
                f"({years[0]}-{years[-1]})",
                field="year",
            )
        inv_year = earlier[-1]
        b = bu.loc[(r.category, r.gas, inv_year)]
        b = b.iloc[0] if isinstance(b, pd.DataFrame) else b
        sens = None if _isnan(r.sensitivity) else float(r.sensitivity)
        z, flag = consistency_test(
            float(b.value_kt),
            float(b.low_kt),
            float(b.high_kt),
            float(r.value_kt),
            float(r.sigma_kt),
            r.kind,
            sens,
            r.sensitivity_measure or None,
            float(r.low_kt),
            float(r.high_kt),
            float(r.valid_views),
        )
        explanation = _explain(r, b_row_of(b), r.kind, flag, z, sens, contributors)
        limit = float(r.detection_limit_kt)
        if (
            not _isnan(limit)
            and float(b.value_kt) < limit
            and flag != VERDICTS["insufficient_coverage"]
        ):
            # evidence that could not detect an inventory of this size cannot test it: an
            # interval that contains the inventory is not agreement
            flag = VERDICTS["not_comparable"]
            explanation = (
                f"The evidence's detection limit ({limit:,.0f} kt) exceeds the inventory's "
                f"{float(b.value_kt):,.0f} kt: it cannot detect, and so cannot test, an "
                f"inventory of this size. " + explanation
            )
        low, high = _interval(r)
        if low is None and not _isnan(r.value_kt):
            low = float(r.value_kt) - Z95 * float(r.sigma_kt)
            high = float(r.value_kt) + Z95 * float(r.sigma_kt)
        rows.append(
            {
                "category": r.category,
                "gas": r.gas,
                "evidence": r.evidence,
                "evidence_year": int(r.year),
                "inventory_year": inv_year,
                "bottom_up_kt": float(b.value_kt),
                "bottom_up_low_kt": float(b.low_kt),
                "bottom_up_high_kt": float(b.high_kt),
                "top_down_kt": float(r.value_kt),
                "top_down_sigma_kt": float(r.sigma_kt),
                "top_down_low_kt": np.nan if low is None else max(low, 0.0),
                "top_down_high_kt": np.nan if high is None else high,
                "z": float(z),
                "flag": flag,
                "explanation": explanation,
                "osse": bool(r.osse),
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)
