"""Helpers of the CRT background tables (:mod:`openmrv.report.crt_background`): rows whose
estimates are selected by activity and key, and Table6 (indirect CO2 and N2O).

- :func:`row_selectors` reads ``report/data/crt_background_selectors.csv``: a row of Table3.C
  or Table3.D whose CRT category openmrv computes inside a wider one (rice: IPCC 2006 3.C.7 =
  CRT 3.C, whose water regimes are the estimates' keys; soils: 3.C.4 = CRT 3.D.1, whose N
  inputs are the keys) takes the estimates of its ``scope`` with a matching activity and key;
  a row marked ``included`` is ``IE`` where its scope holds a number.
- :func:`indirect_table` writes Table6: openmrv estimates no indirect emissions (no NOx, NH3,
  CO or NMVOC), so every cell is ``NE`` with its reason, listed in Table9.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from functools import cache
from typing import Any

import pandas as pd

from openmrv.report.crt_layout import DATA, CRTLayoutError, Keyed

SELECTORS_FILE = DATA / "crt_background_selectors.csv"

#: why each Table6 cell is NE (IPCC 2006 Vol 1 Ch 7: indirect N2O from the deposition of the
#: nitrogen of NOx and NH3 emissions, 7.3; indirect CO2 from the atmospheric oxidation of CH4,
#: CO and NMVOC, 7.2.1.5)
INDIRECT_WHY = {
    "N2O": (
        "not estimated: openmrv estimates no NOx or NH3 emissions (precursors are NE in "
        "Summary1), so no indirect N2O from the deposition of their nitrogen (IPCC 2006 Vol 1 "
        "Ch 7.3)"
    ),
    "CO2": (
        "not estimated: openmrv estimates no CO or NMVOC emissions and no atmospheric "
        "oxidation of CH4, so no indirect CO2 (IPCC 2006 Vol 1 Ch 7.2.1.5)"
    ),
}


@cache
def row_selectors() -> dict[tuple[str, str], dict[str, Any]]:
    """(table, code) -> ``scope``, ``match`` (list of (activity, key pattern)) and
    ``included`` (the reason of an ``IE`` row, or empty)."""
    frame = pd.read_csv(SELECTORS_FILE, comment="#", dtype=str, keep_default_na=False)
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for table, code, scope, activity, key, included in zip(
        frame["table"],
        frame["code"],
        frame["scope"],
        frame["activity"],
        frame["key"],
        frame["included"],
        strict=True,
    ):
        sel = out.setdefault((table, code), {"scope": scope, "match": [], "included": included})
        if sel["scope"] != scope or sel["included"] != included:
            raise CRTLayoutError(
                f"{table} {code}: one scope and one 'included' per row", file=SELECTORS_FILE
            )
        if not included and not activity:
            raise CRTLayoutError(
                f"{table} {code}: give an activity (or a reason in 'included')",
                file=SELECTORS_FILE,
                field="activity",
            )
        if activity:
            sel["match"].append((activity, key or "*"))
    return out


def selected(match: list[tuple[str, str]], activity: str, key: str) -> bool:
    """Whether an estimate of ``activity`` and ``key`` belongs to a row of ``match``."""
    return any(a == activity and fnmatchcase(key, pattern) for a, pattern in match)


def indirect_table(
    name: str,
    rows: pd.DataFrame,
    columns: pd.DataFrame,
    yrs: list[int],
    select: list[int],
    keyed: list[Keyed],
) -> pd.DataFrame:
    """Table6, indirect N2O and CO2 by sector: ``NE`` in every cell (openmrv estimates no
    indirect emissions; :data:`INDIRECT_WHY`), each with its Table9 row.

    Parameters
    ----------
    name
        The table (``Table6``).
    rows, columns
        Its rows (``crt_background_rows.csv``) and columns (``crt_background_columns.csv``;
        quantity ``indirect``, entity the gas).
    yrs, select
        The dataset's years and those to write.
    keyed
        Keyed cells are appended here.
    """
    records = []
    for year in yrs:
        if year not in select:
            continue
        for code, label in zip(rows["code"], rows["label"], strict=True):
            rec: dict[str, Any] = {"year": year, "code": code, "category": label}
            for column, gas in zip(columns["column"], columns["entity"], strict=True):
                rec[column] = "NE"
                keyed.append(Keyed(name, year, code, label, gas, "NE", INDIRECT_WHY[gas]))
            records.append(rec)
    frame = pd.DataFrame.from_records(
        records, columns=["year", "code", "category", *columns["column"]]
    ).astype(object)
    frame.attrs["total_row"] = rows["code"].iloc[0]
    return frame
