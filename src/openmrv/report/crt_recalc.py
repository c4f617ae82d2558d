"""CRT Table 8 (recalculations, decision 5/CMA.3 annex I) from a run's
``recalculations.csv`` (``openmrv run CASE --previous RUN``,
:mod:`openmrv.stages.recalculations`).

- ``Table8s1`` (recalculated data): Summary1's rows (``crt_rows.csv``), per year, for CO2,
  CH4, N2O and their total: the previous submission, the latest submission (this run's
  dataset, as in Summary1), the difference and the difference in % of the previous
  submission, all in kt CO2 eq. ``difference`` is the sum of ``difference_Gg`` (times the
  gas's GWP) of the recalculated estimates mapped into the row's subtree; ``previous =
  latest - difference``.
- ``Table8s2`` (explanatory information): each recalculated CRT category and gas, its
  years, the difference in the latest of them and the reason ``recalculations.csv`` gives
  (what changed: factors, inputs, or openmrv itself; the compiler adds why).

Without a previous run both tables are written with their rows, the previous-submission
and difference cells ``NA`` and a note that no previous submission was compared.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from openmrv.dataformat import GASES
from openmrv.errors import InputError
from openmrv.report.crt_annex import _years_text
from openmrv.report.crt_layout import _fill, _join, row_list
from openmrv.report.crt_map import map_category

NO_PREVIOUS = "no previous submission was compared (the run had no --previous RUN)"
COLUMNS = ("previous submission", "latest submission", "difference", "difference [%]")
RECALC_COLUMNS = ("category", "gas", "year", "difference_Gg", "reason")


def _within(code: str, root: str) -> bool:
    return root == "Total" or code == root or code.startswith(root + ".")


def _headers(entity: str) -> list[str]:
    return [
        f"{entity} {c} [kt CO2 eq]" if c != "difference [%]" else f"{entity} {c}" for c in COLUMNS
    ]


def _change(reason: str) -> str:
    """The kind of recalculation (the CRT asks: methods, emission factors, activity data)."""
    if reason.startswith("factors changed"):
        return "emission factors"
    if reason.startswith("inputs changed"):
        return "activity data or case settings (changed inputs)"
    if reason.startswith(("newly estimated", "no longer estimated")):
        return "methods (estimate added or dropped)"
    return "methods (openmrv or its packaged tables)"


def _prepared(recalc: pd.DataFrame) -> pd.DataFrame:
    lacking = [c for c in RECALC_COLUMNS if c not in recalc.columns]
    if lacking:
        raise InputError(
            f"recalculations.csv lacks columns {lacking}; give a table written by openmrv",
            field="recalculations",
        )
    frame = recalc.copy()
    frame["year"] = frame["year"].astype(int)
    frame["difference_Gg"] = frame["difference_Gg"].astype(float)
    codes = {}
    for c in frame["category"].astype(str).unique():
        crt = map_category(c).crt
        codes[c] = crt[0] if len(crt) == 1 else ";".join(crt)
    frame["code"] = [codes[str(c)] for c in frame["category"]]
    return frame


def recalculated_data(
    cells: Mapping[str, Mapping[str, list]],
    yrs: list[int],
    select: list[int],
    gwps: Mapping[str, float],
    recalc: pd.DataFrame | None,
) -> pd.DataFrame:
    """``Table8s1``: previous and latest submission, difference [kt CO2 eq] and [%]."""
    rec = None if recalc is None else _prepared(recalc)
    gases = list(GASES)
    records = []
    for t, year in enumerate(yrs):
        if year not in select:
            continue
        here = None if rec is None else rec[rec["year"] == year]
        for code, label, kind in row_list("Summary1"):
            out: dict[str, Any] = {"year": year, "code": code, "category": label}
            tot_latest, tot_diff, any_num, keys = 0.0, 0.0, False, []
            for gas in gases:
                latest, _ = _fill(cells, code, kind, gas, t, {})
                if isinstance(latest, float):
                    latest = latest * gwps[gas]
                diff = 0.0
                if here is not None:
                    diff = gwps[gas] * sum(
                        d
                        for g, c, d in zip(
                            here["gas"], here["code"], here["difference_Gg"], strict=True
                        )
                        if g == gas and _within(c, code)
                    )
                out.update(_cells(gas, latest, diff, here is not None))
                if isinstance(latest, str):
                    keys.append(latest)
                if isinstance(latest, float) or diff:
                    any_num = True
                    tot_latest += latest if isinstance(latest, float) else 0.0
                    tot_diff += diff
            total: float | str = tot_latest if any_num else _join(keys)
            out.update(_cells("Total", total, tot_diff, here is not None))
            records.append(out)
    heads = [h for g in [*gases, "Total"] for h in _headers(g)]
    frame = pd.DataFrame.from_records(records, columns=["year", "code", "category", *heads])
    frame = frame.astype(object)
    frame.attrs["total_row"] = "Total"
    return frame


def _cells(entity: str, latest: float | str, diff: float, compared: bool) -> dict[str, Any]:
    h = _headers(entity)
    if not compared:
        return {h[0]: "NA", h[1]: latest, h[2]: "NA", h[3]: "NA"}
    if not isinstance(latest, float) and not diff:
        return {h[0]: latest, h[1]: latest, h[2]: "NA", h[3]: "NA"}
    now = latest if isinstance(latest, float) else 0.0
    previous = now - diff
    pct: float | str = 100.0 * diff / abs(previous) if previous else "NA"
    return {h[0]: previous, h[1]: latest, h[2]: diff, h[3]: pct}


def explanatory_information(recalc: pd.DataFrame | None) -> pd.DataFrame:
    """``Table8s2``: each recalculated CRT category and gas with its years, the difference
    in the latest of them [kt of the gas], the kind of change and the reason."""
    columns = [
        "code",
        "IPCC category",
        "gas",
        "years",
        "difference in the latest year [kt]",
        "recalculation due to",
        "reason",
    ]
    if recalc is None:
        rows = [dict.fromkeys(columns, "NA") | {"code": "Total", "reason": NO_PREVIOUS}]
        frame = pd.DataFrame.from_records(rows, columns=columns).astype(object)
        frame.attrs["total_row"] = None
        return frame
    rec = _prepared(recalc)
    rows = []
    for (code, cat, gas, reason), part in rec.groupby(
        ["code", "category", "gas", "reason"], sort=True
    ):
        last = part.loc[part["year"].idxmax()]
        rows.append(
            {
                "code": code,
                "IPCC category": str(cat),
                "gas": str(gas),
                "years": _years_text(part["year"]),
                "difference in the latest year [kt]": float(last["difference_Gg"]),
                "recalculation due to": _change(str(reason)),
                "reason": str(reason),
            }
        )
    frame = pd.DataFrame.from_records(rows, columns=columns).astype(object)
    frame.attrs["total_row"] = None
    return frame


def table8(
    cells: Mapping[str, Mapping[str, list]],
    yrs: list[int],
    select: list[int],
    gwps: Mapping[str, float],
    recalc: pd.DataFrame | None,
) -> dict[str, tuple[pd.DataFrame, str, str]]:
    """``Table8s1`` and ``Table8s2`` with their titles and units."""
    note = "" if recalc is not None else f"; {NO_PREVIOUS}"
    return {
        "Table8s1": (
            recalculated_data(cells, yrs, select, gwps, recalc),
            f"Table 8 sheet 1: recalculation, recalculated data{note}",
            "kt CO2 eq; difference in % of the previous submission",
        ),
        "Table8s2": (
            explanatory_information(recalc),
            f"Table 8 sheet 2: recalculation, explanatory information{note}",
            "difference in kt of the gas",
        ),
    }
