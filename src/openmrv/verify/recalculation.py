"""Recalculations: what changed between two runs of a case (2006 GL Vol 1 Ch 5.4).

Inventories are recalculated when methods, factors or activity data change; the ETF asks
Parties to report the differences and their reasons. :func:`recalculation` compares the
estimates of two runs category by category, gas and year, and lists the inputs (by
SHA-256) and factor rows that changed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def recalculation(
    previous: pd.DataFrame,
    current: pd.DataFrame,
    previous_inputs: dict[str, str],
    current_inputs: dict[str, str],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Differences between two runs.

    Parameters
    ----------
    previous, current
        The runs' ``emissions.csv`` tables (category, gas, year, value_Gg, factors ...).
    previous_inputs, current_inputs
        Input file -> SHA-256 of each run (``run.json``).

    Returns
    -------
    changes : pandas.DataFrame
        category, gas, year, previous_Gg, current_Gg, difference_Gg, difference_pct,
        factors_previous, factors_current: only rows that differ.
    inputs : pandas.DataFrame
        input, status (changed, added, removed).
    """

    def agg(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.groupby(["category", "gas", "year"]).agg(
            value_Gg=("value_Gg", "sum"),
            factors=("factors", lambda s: ";".join(sorted(set(";".join(s).split(";"))))),
        )

    a, b = agg(previous), agg(current)
    m = a.join(b, how="outer", suffixes=("_previous", "_current"))
    m = m.rename(columns={"value_Gg_previous": "previous_Gg", "value_Gg_current": "current_Gg"})
    m["difference_Gg"] = m["current_Gg"].fillna(0) - m["previous_Gg"].fillna(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        m["difference_pct"] = 100 * m["difference_Gg"] / m["previous_Gg"].abs()
    differs = (
        ~np.isclose(
            m["current_Gg"].fillna(np.inf), m["previous_Gg"].fillna(np.inf), rtol=1e-12, atol=0.0
        )
    ) | (m["factors_previous"] != m["factors_current"])
    changes = m[differs].reset_index()
    rows = []
    for name in sorted(set(previous_inputs) | set(current_inputs)):
        old, new = previous_inputs.get(name), current_inputs.get(name)
        if old != new:
            rows.append(
                {
                    "input": name,
                    "status": "added" if old is None else "removed" if new is None else "changed",
                }
            )
    return changes, pd.DataFrame(rows, columns=["input", "status"])


def with_reasons(changes: pd.DataFrame, inputs: pd.DataFrame) -> pd.DataFrame:
    """``changes`` with a ``reason`` per row, from what the two runs record: the factor
    rows when they changed, else the inputs that changed (activity data, case settings),
    else a change of openmrv itself (methods, packaged tables not named as inputs). The
    reasons say what changed, not why it was changed: the compiler adds that (Vol 1 Ch
    5.4 asks for both)."""
    changed = [f"{r.input} ({r.status})" for r in inputs.itertuples()]
    if changed:
        other = "inputs changed: " + ", ".join(changed)
    else:
        other = "no input changed: openmrv's methods or packaged tables changed"

    def reason(r) -> str:
        prev, cur = r.factors_previous, r.factors_current
        if isinstance(prev, str) and isinstance(cur, str) and prev != cur:
            return f"factors changed: {prev or 'none'} -> {cur or 'none'}"
        if not isinstance(prev, str) or pd.isna(r.previous_Gg):
            return "newly estimated (not in the previous run)"
        if not isinstance(cur, str) or pd.isna(r.current_Gg):
            return "no longer estimated (not in this run)"
        return other

    out = changes.copy()
    out["reason"] = [reason(r) for r in changes.itertuples()] if len(changes) else []
    return out
