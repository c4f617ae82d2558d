"""CRT tables laid out row for row as the Common Reporting Tables are (decision 5/CMA.3
annex I): Summary1, Summary2, Table1, Table2(I), Table3, Table4 and Table5.

The row list of each table (order, CRT code, label) and its gas columns are data,
``report/data/crt_rows.csv`` and ``report/data/crt_columns.csv`` (sources in
``report/data/SOURCES.md``). Every cell holds a number or a notation key, never nothing:

- CO2, CH4, N2O: the number :func:`openmrv.report.crt.crt_cells` finds, else the case's
  notation key, else ``NE`` (neither estimated nor keyed in the case);
- HFCs: the CO2-equivalent sum of the HFC species the dataset holds (2.F.1), where it
  holds any for the row; otherwise, as PFCs, their unspecified mix, SF6 and NF3: ``NE`` in
  sector 2 and in the national total, ``NA`` elsewhere (F-gases arise only in industrial
  processes and product use);
- NOx, CO, NMVOC, SOx: ``NE`` (no precursor methods);
- memo items: ``NE`` (``NA`` for F-gases): openmrv computes none.

Each keyed cell's explanation is collected (:class:`Keyed`) for Table9
(:mod:`openmrv.report.crt_annex`). See ``docs/crt.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from openmrv.dataformat import GASES, NOTATION_KEYS
from openmrv.errors import InputError
from openmrv.gases import FGASES
from openmrv.report.crt_map import map_category

DATA = Path(__file__).parent / "data"
ROWS_FILE = DATA / "crt_rows.csv"
COLUMNS_FILE = DATA / "crt_columns.csv"

#: CRT tables laid out from crt_rows.csv, in the order written
LAYOUT_TABLES = ("Summary1", "Summary2", "Table1", "Table2(I)", "Table3", "Table4", "Table5")
#: tables whose row list is Summary1's (the CRT's Summary2 repeats Summary1's rows)
SAME_ROWS = {"Summary2": "Summary1"}
F_GASES = ("HFCs", "PFCs", "Unspecified mix of HFCs and PFCs", "SF6", "NF3")
PRECURSORS = ("NOx", "CO", "NMVOC", "SOx")

#: explanations of the notation keys openmrv sets itself (the case's own keys carry the
#: case's explanation)
EXPLAIN = {
    "gas": (
        "not estimated: the case gives neither an estimate nor a notation key for this "
        "category and gas; NE until the compiler states otherwise (assumption (openmrv))"
    ),
    "fgas_ne": (
        "not estimated: the case gives no F-gas activity (openmrv estimates HFCs of 2.F.1 "
        "only, and no PFCs, SF6 or NF3)"
    ),
    "fgas_na": (
        "not applicable: fluorinated gases arise only in industrial processes and product "
        "use (IPCC 2006 Vol 3 Ch 6-8); assumption (openmrv)"
    ),
    "precursor": "not estimated: openmrv has no methods for NOx, CO, NMVOC and SOx",
    "memo": (
        "not estimated: openmrv computes no memo items (international bunkers, multilateral "
        "operations, CO2 from biomass, CO2 captured, long-term carbon storage, indirect "
        "emissions)"
    ),
    "dataset": "notation key of the inventory dataset; the case's notation-key file gives "
    "no explanation for it",
}


class CRTLayoutError(InputError):
    """The CRT row or column list (a data file) is malformed."""


@dataclass(frozen=True)
class Keyed:
    """A cell holding a notation key, and why."""

    table: str
    year: int | None
    code: str
    label: str
    entity: str
    key: str
    explanation: str


@cache
def crt_rows() -> pd.DataFrame:
    """The CRT row lists: columns ``table``, ``row`` (order, from 1), ``code``, ``label``,
    ``kind`` (``category`` inside the national total, ``memo`` outside)."""
    frame = pd.read_csv(ROWS_FILE, comment="#", dtype=str, keep_default_na=False)
    frame["row"] = frame["row"].astype(int)
    for table, part in frame.groupby("table", sort=False):
        if list(part["row"]) != list(range(1, len(part) + 1)) or part["code"].duplicated().any():
            raise CRTLayoutError(
                f"rows of {table} must be numbered 1..n with unique codes", file=ROWS_FILE
            )
    bad = set(frame["kind"]) - {"category", "memo"}
    if bad:
        raise CRTLayoutError(f"unknown kind {sorted(bad)}", file=ROWS_FILE, field="kind")
    return frame


@cache
def crt_columns() -> pd.DataFrame:
    """The gas columns of the laid-out tables: ``table``, ``column``, ``entity``, ``unit``."""
    frame = pd.read_csv(COLUMNS_FILE, comment="#", dtype=str, keep_default_na=False)
    known = {*GASES, *F_GASES, *PRECURSORS, "total"}
    bad = set(frame["entity"]) - known
    if bad:
        raise CRTLayoutError(f"unknown entities {sorted(bad)}", file=COLUMNS_FILE, field="entity")
    return frame


def row_list(table: str) -> list[tuple[str, str, str]]:
    """(code, label, kind) of each row of a CRT table, in the CRT's order."""
    rows = crt_rows()
    part = rows[rows["table"] == SAME_ROWS.get(table, table)]
    if part.empty:
        raise CRTLayoutError(f"no row list for table {table}", file=ROWS_FILE)
    return list(zip(part["code"], part["label"], part["kind"], strict=True))


def column_list(table: str) -> list[tuple[str, str, str]]:
    """(header, entity, unit) of each gas column of a CRT table."""
    cols = crt_columns()
    part = cols[cols["table"] == table]
    return list(zip(part["column"], part["entity"], part["unit"], strict=True))


def _within(code: str, root: str) -> bool:
    return root == "Total" or code == root or code.startswith(root + ".")


def case_explanations(notation: pd.DataFrame | None) -> dict[tuple[str, str, str], list[str]]:
    """The case's explanations by (CRT code, gas, key), its IPCC codes mapped to the CRT."""
    out: dict[tuple[str, str, str], list[str]] = {}
    if notation is None:
        return out
    for rec in notation.itertuples(index=False):
        for target in map_category(str(rec.category)).crt:
            texts = out.setdefault((target, str(rec.gas), str(rec.notation_key)), [])
            if str(rec.explanation) not in texts:
                texts.append(str(rec.explanation))
    return out


def explain_key(
    code: str, gas: str, keys: str, explained: Mapping[tuple[str, str, str], list[str]]
) -> str:
    """The case's explanation(s) of the keys of a cell, from the categories in its subtree."""
    found: list[str] = []
    for key in keys.split(","):
        for (target, g, k), texts in explained.items():
            if g == gas and k == key and _within(target, code):
                found += [f"{key}: {t}" for t in texts if f"{key}: {t}" not in found]
    return "; ".join(found) or EXPLAIN["dataset"]


def _fill(
    cells: Mapping[str, Mapping[str, list]],
    code: str,
    kind: str,
    entity: str,
    t: int,
    explained: Mapping[tuple[str, str, str], list[str]],
    gwps: Mapping[str, float] | None = None,
) -> tuple[float | str, str | None]:
    """A cell's value and, for a notation key, its explanation."""
    if kind == "memo":
        return ("NA", EXPLAIN["fgas_na"]) if entity in F_GASES else ("NE", EXPLAIN["memo"])
    if entity in GASES:
        got = cells.get(entity, {}).get(code)
        value = None if got is None else got[t]
        if isinstance(value, float):
            return value, None
        if isinstance(value, str):
            return value, explain_key(code, entity, value, explained)
        return "NE", EXPLAIN["gas"]
    if entity == "HFCs" and gwps is not None:
        hfc = hfc_co2e(cells, code, t, gwps)
        if hfc is not None:
            return hfc, None
    if entity in F_GASES:
        if code == "Total" or _within(code, "2"):
            return "NE", EXPLAIN["fgas_ne"]
        return "NA", EXPLAIN["fgas_na"]
    return "NE", EXPLAIN["precursor"]


def hfc_co2e(
    cells: Mapping[str, Mapping[str, list]], code: str, t: int, gwps: Mapping[str, float]
) -> float | None:
    """The CO2-equivalent sum of the HFC species with a number for ``code`` in year index
    ``t``, or None where there is none (the CRT's HFCs column)."""
    nums = [
        got[t] * gwps[g]
        for g in FGASES
        if (got := cells.get(g, {}).get(code)) is not None and isinstance(got[t], float)
    ]
    return float(sum(nums)) if nums else None


def _join(keys: list[str]) -> str:
    found = {k for v in keys for k in v.split(",")}
    return ",".join(k for k in NOTATION_KEYS if k in found)


def layout_table(
    table: str,
    cells: Mapping[str, Mapping[str, list]],
    yrs: list[int],
    select: list[int],
    gwps: Mapping[str, float],
    explained: Mapping[tuple[str, str, str], list[str]],
    keyed: list[Keyed] | None = None,
) -> pd.DataFrame:
    """One CRT table, row for row, one block of rows per selected year.

    Columns ``year``, ``code``, ``category`` (the CRT row label), then the table's gas
    columns (``crt_columns.csv``). A ``kt CO2 eq`` column of CO2, CH4 or N2O holds the
    mass times its GWP; the ``total`` column is the CO2-equivalent sum of the table's
    CO2, CH4 and N2O numbers and the HFC species' (:func:`hfc_co2e`), or, where none is a
    number, their notation keys joined.
    Keyed cells are appended to ``keyed`` with their explanation.
    """
    rows = row_list(table)
    columns = column_list(table)
    records = []
    for t, year in enumerate(yrs):
        if year not in select:
            continue
        for code, label, kind in rows:
            rec: dict[str, Any] = {"year": year, "code": code, "category": label}
            mass: dict[str, float | str] = {}
            for gas in GASES:
                mass[gas], _ = _fill(cells, code, kind, gas, t, explained)
            for header, entity, unit in columns:
                if entity == "total":
                    nums = [v * gwps[g] for g, v in mass.items() if isinstance(v, float)]
                    if (hfc := hfc_co2e(cells, code, t, gwps)) is not None:
                        nums.append(hfc)
                    value: float | str = (
                        float(sum(nums)) if nums else _join([str(v) for v in mass.values()])
                    )
                    why = None
                else:
                    value, why = _fill(cells, code, kind, entity, t, explained, gwps)
                    if isinstance(value, float) and unit == "kt CO2 eq" and entity in GASES:
                        value = value * gwps[entity]
                if why is not None and keyed is not None:
                    keyed.append(Keyed(table, year, code, label, entity, str(value), why))
                rec[header] = value
            records.append(rec)
    frame = pd.DataFrame.from_records(
        records, columns=["year", "code", "category", *(c[0] for c in columns)]
    ).astype(object)
    frame.attrs["total_row"] = rows[0][0]
    return frame


def layout_tables(
    cells: Mapping[str, Mapping[str, list]],
    yrs: list[int],
    select: list[int],
    gwps: Mapping[str, float],
    notation: pd.DataFrame | None = None,
) -> tuple[dict[str, pd.DataFrame], list[Keyed]]:
    """Every table of :data:`LAYOUT_TABLES`, and the keyed cells with their explanations.

    Parameters
    ----------
    cells
        :func:`openmrv.report.crt.crt_cells` of the dataset.
    yrs, select
        The dataset's years and those to write.
    gwps
        GWP of each gas of the dataset (CO2, CH4, N2O and any HFC species) in its GWP set.
    notation
        The case's notation keys (category, gas, notation_key, explanation), IPCC codes.
    """
    explained = case_explanations(notation)
    keyed: list[Keyed] = []
    tables = {
        name: layout_table(name, cells, yrs, select, gwps, explained, keyed)
        for name in LAYOUT_TABLES
    }
    return tables, keyed


TITLES = {
    "Summary1": ("Summary 1: national greenhouse gas inventory by category and gas", "see headers"),
    "Summary2": ("Summary 2: emissions trends, CO2 equivalent emissions by gas", "kt CO2 eq"),
    "Table1": ("Table 1: sectoral report for energy", "kt; total in kt CO2 eq"),
    "Table2(I)": (
        "Table 2(I): sectoral report for industrial processes and product use",
        "see headers",
    ),
    "Table3": ("Table 3: sectoral report for agriculture", "kt; total in kt CO2 eq"),
    "Table4": (
        "Table 4: sectoral report for land use, land-use change and forestry",
        "kt; total in kt CO2 eq",
    ),
    "Table5": ("Table 5: sectoral report for waste", "kt; total in kt CO2 eq"),
}
