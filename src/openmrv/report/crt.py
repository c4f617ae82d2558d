"""Common Reporting Tables (CRT) of the Enhanced Transparency Framework from an emissions
dataset: tables as pandas DataFrames, written to xlsx (openpyxl) and JSON.

The CRT were adopted by decision 5/CMA.3 (annex I) for the national inventory reports
under the Paris Agreement. Their categories follow the IPCC 2006 Guidelines with a few
differences (sector numbers after 2, venting and flaring gathered under 1.B.2.c, livestock
split into enteric fermentation and manure management). ``climate_categories`` has no CRT
categorisation, so the IPCC 2006 -> CRT mapping is a data table,
``report/data/crt_mapping.csv``, and the CRT category list is
``report/data/crt_categories.csv``; both cite their sources. See ``docs/crt.md``.

What is built
-------------
- The CRT laid out row for row from the row lists ``report/data/crt_rows.csv``
  (:mod:`openmrv.report.crt_layout`): ``Summary1``, ``Summary2``, ``Table1``,
  ``Table2(I)``, ``Table3``, ``Table4``, ``Table5``; every gas cell a number or a notation
  key. Built on them (:mod:`openmrv.report.crt_annex`): ``Summary3`` (methods, factor
  types), ``Table7`` (key categories), ``Table9`` (each notation key and its explanation),
  ``Table10s1``-``s4`` (trends).
- The sectoral background tables laid out row for row, with activity data, implied
  emission factors and emissions (:mod:`openmrv.report.crt_background`, given the records
  and the activity table): ``Table1.A(a)s1``-``s4``, ``Table1.B.1``, ``Table1.B.2``,
  ``Table1.C``, ``Table1.D``, ``Table2(II)``, ``Table3.A``, ``Table3.B(a)``,
  ``Table3.B(b)``, ``Table3.C``, ``Table3.D``, ``Table5.A``-``Table5.D``, ``Table6``.
- ``Table8s1``, ``Table8s2``: recalculations (:mod:`openmrv.report.crt_recalc`).
- An emission detail sheet by sub-category and gas, [kt]: ``Table2(I).B`` (cells without a
  number or key stay empty there).
- openmrv's annex sheets (not CRT tables): ``openmrv-Uncertainty`` (IPCC 2006 Vol 1
  Table 3.2, Approach 1) and ``openmrv-KeyCategories``, when a run's tables are given.

The IPCC 2006 -> CRT mapping is :mod:`openmrv.report.crt_map`. Tables by year carry a
``year`` column.

The files (xlsx, JSON; writing and reading back) are :mod:`openmrv.report.crt_io`; its
public names are importable from here too.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from openmrv.categories import ancestors
from openmrv.dataformat import GASES, NOTATION_KEYS, ensure_valid, years
from openmrv.errors import InputError
from openmrv.gases import ALL_GASES, FGASES, gases_present
from openmrv.gwp import gwp
from openmrv.report.crt_annex import (
    completeness_table,
    key_category_crt,
    methods_table,
    trend_tables,
)
from openmrv.report.crt_background import TITLES as BACKGROUND_TITLES
from openmrv.report.crt_background import background_layout

# the files (xlsx, JSON) live in crt_io; their names stay importable from here
from openmrv.report.crt_io import (
    JSON_FORMAT,
    JSON_VERSION,
    CRTFileError,
    read_crt_json,
    read_crt_xlsx,
    tables_to_json,
    write_crt_json,
    write_crt_xlsx,
)
from openmrv.report.crt_layout import TITLES, case_explanations, layout_tables
from openmrv.report.crt_lulucf import WITHOUT_LULUCF, with_memo_without_lulucf
from openmrv.report.crt_map import (
    CATEGORIES_FILE,
    DATA,
    MAPPING_FILE,
    CRTMappingError,
    MappingRow,
    _crt_of,
    _names,
    crt_categories,
    crt_mapping,
    map_category,
)
from openmrv.report.crt_recalc import table8
from openmrv.report.crt_reference import reference_tables

SCHEMA_FILE = DATA / "crt.schema.json"

#: Emission detail sheets by sub-category (not laid out as a CRT table): sheet name ->
#: (root CRT code, title). The energy, agriculture and waste background tables are laid out
#: row for row by :mod:`openmrv.report.crt_background`.
BACKGROUND: dict[str, tuple[str, str]] = {
    "Table2(I).B": ("2.B", "Industrial processes: chemical industry"),
}
#: openmrv's annex sheets (not CRT tables)
UNCERTAINTY_SHEET = "openmrv-Uncertainty"
BACKGROUND_UNITS = (
    "Table2(II): chemicals in t, totals in kt CO2 eq; activity in TJ (Table1.A(a), "
    "Table1.D) or the stated unit; IEF in t/TJ (CO2), kg/TJ "
    "(CH4, N2O) or kg per unit of activity; emissions in kt"
)
KEY_SHEET = "openmrv-KeyCategories"
UNCERTAINTY_COLUMNS = {
    "C": "C base year emissions [kt CO2 eq]",
    "D": "D year t emissions [kt CO2 eq]",
    "E": "E activity data uncertainty [%]",
    "F": "F emission factor uncertainty [%]",
    "G": "G combined uncertainty [%]",
    "H": "H contribution to variance in year t [%2]",
    "I": "I type A sensitivity [%]",
    "J": "J type B sensitivity [%]",
    "K": "K trend uncertainty from emission factor [%]",
    "L": "L trend uncertainty from activity data [%]",
    "M": "M contribution to variance in trend [%2]",
}


def _join_keys(keys: Iterable[str]) -> str | None:
    found = set()
    for k in keys:
        found |= set(k.split(","))
    found.discard("")
    return ",".join(k for k in NOTATION_KEYS if k in found) or None


def _squeeze(ds: xr.Dataset) -> tuple[xr.Dataset, str]:
    ensure_valid(ds)
    for dim in ("area (ISO3)", "source"):
        if ds.sizes[dim] != 1:
            raise InputError(
                f"the CRT hold one country and one source; the dataset has {ds.sizes[dim]} "
                f"values of '{dim}': select one first",
                field=dim,
            )
    return ds.isel({"area (ISO3)": 0, "source": 0}), str(ds.attrs["cat"])


def gwp_set_of(ds: xr.Dataset) -> str:
    """The GWP set named by the dataset's CO2-equivalent variable (``KYOTOGHG (<set>)``)."""
    sets = {str(v.attrs["gwp_context"]) for v in ds.data_vars.values() if "gwp_context" in v.attrs}
    if len(sets) != 1:
        raise InputError(
            f"the dataset must name exactly one GWP set in a 'KYOTOGHG (<set>)' variable "
            f"(found {sorted(sets) or 'none'})",
            field="gwp_context",
        )
    return sets.pop()


def crt_cells(ds: xr.Dataset) -> dict[str, dict[str, list[float | str | None]]]:
    """Map a dataset's categories onto the CRT and total them up the CRT tree.

    Parameters
    ----------
    ds
        Emissions dataset (``docs/data-format.md``), one area and one source.

    Returns
    -------
    dict
        ``cells[gas][crt_code]`` is a list over the dataset's years of a number [kt], a
        notation key string or ``None``. A CRT category's number is the sum of the most
        detailed IPCC categories mapped into its subtree; where no number exists there,
        the notation keys found are joined.

    Raises
    ------
    CRTMappingError
        If a category is not mapped, or an IPCC category that spans several CRT
        categories (e.g. 1.B.2.a including its venting and flaring) holds a number.
    """
    flat, cat = _squeeze(ds)
    codes = [str(c) for c in flat[cat].values]
    anc = {c: set(ancestors(c)) for c in codes}
    n_t = flat.sizes["time"]
    crt_codes = list(crt_categories()["code"])
    out: dict[str, dict[str, list[float | str | None]]] = {}
    yrs = years(ds)
    for gas in ALL_GASES:
        if gas not in flat:
            continue
        vals = np.asarray(flat[gas].transpose("time", cat).values, dtype=float)
        nk_var = flat.get(f"notation_key ({gas})")
        keys = (
            np.full(vals.shape, "", dtype=object)
            if nk_var is None
            else np.asarray(nk_var.transpose("time", cat).values, dtype=str)
        )
        has = ~np.isnan(vals)
        base_num: dict[str, np.ndarray] = {}
        base_has: dict[str, np.ndarray] = {}
        base_keys: dict[str, list[set[str]]] = {}
        for i, code in enumerate(codes):
            below = [j for j, d in enumerate(codes) if code in anc[d]]
            leaf = has[:, i] & ~has[:, below].any(axis=1) if below else has[:, i]
            keyed = keys[:, i] != ""
            if not (leaf.any() or keyed.any()):
                continue
            row = map_category(code)
            if leaf.any() and len(row.crt) > 1:
                bad = [y for y, f in zip(yrs, leaf, strict=True) if f]
                raise CRTMappingError(
                    f"IPCC {code} {gas} holds numbers ({bad[0]}...) but spans CRT "
                    f"{', '.join(row.crt)}: {row.note or 'report its sub-categories'}",
                    file=MAPPING_FILE,
                    row=row.line,
                )
            for target in row.crt:
                if leaf.any():
                    base_num[target] = base_num.get(target, np.zeros(n_t)) + np.where(
                        leaf, vals[:, i], 0.0
                    )
                    base_has[target] = base_has.get(target, np.zeros(n_t, bool)) | leaf
                sets = base_keys.setdefault(target, [set() for _ in range(n_t)])
                for t in np.flatnonzero(keyed):
                    sets[t].add(str(keys[t, i]))
        out[gas] = {}
        for code in crt_codes:
            inside = sorted(b for b in set(base_num) | set(base_keys) if within(b, code))
            if not inside:
                continue
            num = sum((base_num[b] for b in inside if b in base_num), np.zeros(n_t))
            got = np.zeros(n_t, bool)
            for b in inside:
                got |= base_has.get(b, np.zeros(n_t, bool))
            cells: list[float | str | None] = []
            for t in range(n_t):
                if got[t]:
                    cells.append(float(num[t]))
                else:
                    cells.append(
                        _join_keys(k for b in inside for k in base_keys.get(b, [set()] * n_t)[t])
                    )
            out[gas][code] = cells
    return out


def within(code: str, root: str) -> bool:
    return root == "Total" or code == root or code.startswith(root + ".")


def _co2e(cells: Iterable[float | str | None], factors: Iterable[float]) -> float | str | None:
    nums = [v * f for v, f in zip(cells, factors, strict=True) if isinstance(v, float)]
    if nums:
        return float(sum(nums))
    return _join_keys(v for v in cells if isinstance(v, str))


def _by_year_table(
    cells: dict[str, dict[str, list]],
    rows: list[str],
    yrs: list[int],
    select: list[int],
    columns: list[tuple[str, str]],
    gwps: dict[str, float],
    total_row: str,
    as_co2e: bool = False,
) -> pd.DataFrame:
    """Rows by year and CRT code. A column is (header, gas, ``HFCs`` or ``total``); gas
    columns are masses, or CO2 equivalents with ``as_co2e``; ``HFCs`` is the CO2e sum of the
    HFC species (as the CRT summary tables show them); ``total`` is the CO2e sum of every gas."""
    names = _names()
    none = [None] * len(yrs)
    gases = gases_present(set(cells))
    fgases = [g for g in gases if g in FGASES]
    records = []
    for t, year in enumerate(yrs):
        if year not in select:
            continue
        for code in rows:
            rec: dict[str, Any] = {"year": year, "code": code, "category": names[code]}
            per_gas = {g: cells.get(g, {}).get(code, none)[t] for g in gases}
            for header, gas in columns:
                if gas == "total":
                    rec[header] = _co2e(per_gas.values(), [gwps[g] for g in gases])
                elif gas == "HFCs":
                    rec[header] = _co2e([per_gas[g] for g in fgases], [gwps[g] for g in fgases])
                else:
                    v = per_gas[gas]
                    rec[header] = v * gwps[gas] if as_co2e and isinstance(v, float) else v
            records.append(rec)
    frame = pd.DataFrame.from_records(
        records, columns=["year", "code", "category", *(c[0] for c in columns)]
    ).astype(object)
    frame = frame.where(frame.notna(), None)
    frame.attrs["total_row"] = total_row
    return frame


def crt_tables(
    ds: xr.Dataset,
    key_categories: pd.DataFrame | None = None,
    uncertainty: pd.DataFrame | None = None,
    *,
    select_years: Iterable[int] | None = None,
    notation: pd.DataFrame | None = None,
    records: pd.DataFrame | None = None,
    activity: pd.DataFrame | None = None,
    recalculations: pd.DataFrame | None = None,
    reference: pd.DataFrame | None = None,
) -> dict[str, pd.DataFrame]:
    """Build the CRT tables of an emissions dataset.

    Parameters
    ----------
    ds
        Emissions dataset (``docs/data-format.md``) of one country; its CO2-equivalent
        variable names the GWP set used for CO2 equivalents (AR5GWP100 for the ETF).
    key_categories
        A run's ``key_categories.csv`` (optional): adds ``Table7`` and the annex sheet
        ``openmrv-KeyCategories``.
    uncertainty
        A run's ``uncertainty_approach1.csv`` (optional): adds the annex sheet
        ``openmrv-Uncertainty`` (IPCC 2006 Vol 1 Table 3.2 layout).
    select_years
        Inventory years to include (default: all years of the dataset).
    notation
        The case's notation keys (category, gas, notation_key, explanation; IPCC codes):
        their explanations go into Table9.
    records
        The inventory's estimate records (``emissions.csv``: category, gas, tier,
        factors): adds ``Summary3``.
    activity
        The activity behind the records (``activity.csv``; with ``records``): adds the
        sectoral background tables (:mod:`openmrv.report.crt_background`).
    recalculations
        The run's ``recalculations.csv`` (``--previous RUN``) or None: fills ``Table8s1``
        and ``Table8s2`` (:mod:`openmrv.report.crt_recalc`), written in both cases.
    reference
        The inventory's reference approach (with ``records`` and ``activity``): adds
        ``Table1.A(b)`` and ``Table1.A(c)`` (:mod:`openmrv.report.crt_reference`).

    Returns
    -------
    dict of str to pandas.DataFrame
        Tables by sheet name: the CRT tables laid out from ``crt_rows.csv``
        (:mod:`openmrv.report.crt_layout`), Summary3, Table7, Table9, Table10s1-s4
        (:mod:`openmrv.report.crt_annex`), the emission detail sheets of
        :data:`BACKGROUND` and the annex sheets. Each frame's ``attrs`` hold ``title``, ``units``,
        ``total_row`` (the CRT code of the row that totals the others) and ``gwp_set``.
        Emissions are in kt (= Gg) of the gas per year; CO2 equivalents in kt CO2 eq.

    Raises
    ------
    InputError
        Bad dataset (:class:`~openmrv.errors.DataFormatError`), no GWP set, or a
        category that cannot be placed in the CRT (:class:`CRTMappingError`).
    """
    gwp_set = gwp_set_of(ds)
    cells = crt_cells(ds)
    yrs = years(ds)
    select = yrs if select_years is None else [int(y) for y in select_years]
    missing = sorted(set(select) - set(yrs))
    if missing:
        raise InputError(f"years {missing} are not in the dataset ({yrs[0]}-{yrs[-1]})")
    factors = {g: gwp(g, gwp_set) for g in gases_present(set(cells))}
    mass = [(f"{g} [kt]", g) for g in GASES]
    tables, keyed = layout_tables(cells, yrs, select, factors, notation)
    titles = dict(TITLES)
    if records is not None:
        tables["Summary3"] = methods_table(records, tables["Summary1"])
        titles["Summary3"] = (
            "Summary 3: methods (tiers) and emission factors (D default, CS country-specific)",
            "notation: T1-T3 tiers; D, CS factor types",
        )
    for sheet in ("Summary1", "Summary2"):
        tables[sheet] = with_memo_without_lulucf(tables[sheet])
    if records is not None and activity is not None:
        explained = case_explanations(notation)
        tables.update(
            background_layout(cells, yrs, select, records, activity, explained, keyed, factors)
        )
        titles.update({k: (v, BACKGROUND_UNITS) for k, v in BACKGROUND_TITLES.items()})
        ref = (
            reference_tables(reference, records, activity, select, keyed)
            if reference is not None
            else {}
        )
        for sheet, (frame, title, units) in ref.items():
            tables[sheet], titles[sheet] = frame, (title, units)
    for sheet, (frame, title, units) in table8(cells, yrs, select, factors, recalculations).items():
        tables[sheet], titles[sheet] = frame, (title, units)
    codes = list(crt_categories()["code"])
    for sheet, (root, title) in BACKGROUND.items():
        rows = [c for c in codes if within(c, root)]
        tables[sheet] = _by_year_table(cells, rows, yrs, select, mass, factors, root)
        titles[sheet] = (f"{sheet}: {title}", "kt")
    if key_categories is not None:
        tables["Table7"] = key_category_crt(key_categories)
        titles["Table7"] = (
            "Table 7: key categories (L level, T trend; 1, 2 the IPCC Approach)",
            "shares as fractions",
        )
    tables["Table9"] = completeness_table(keyed)
    titles["Table9"] = (
        "Table 9: completeness, every notation key and its explanation",
        "notation keys",
    )
    for sheet, frame in trend_tables(tables["Summary1"], tables["Summary2"]).items():
        tables[sheet] = frame
        gas = {"Table10s1": "all gases, CO2 eq", "Table10s2": "CO2", "Table10s3": "CH4"}
        titles[sheet] = (
            f"Table 10: emission trends ({gas.get(sheet, 'N2O')})",
            "kt CO2 eq" if sheet == "Table10s1" else "kt; change in %",
        )
    if uncertainty is not None:
        tables[UNCERTAINTY_SHEET] = uncertainty_table(uncertainty)
        titles[UNCERTAINTY_SHEET] = (
            "openmrv annex (not a CRT table): Approach 1 uncertainty in the layout of "
            "IPCC 2006 Vol 1 Table 3.2",
            "kt CO2 eq; uncertainties in %",
        )
    if key_categories is not None:
        tables[KEY_SHEET] = key_category_table(key_categories)
        titles[KEY_SHEET] = (
            "openmrv annex (not a CRT table): key category analysis (IPCC 2006 Vol 1 Ch 4), "
            "level and trend, Approaches 1 and 2",
            "kt CO2 eq; shares as fractions",
        )
    tables = {name: tables[name] for name in sorted(tables, key=_sheet_order)}
    for sheet, frame in tables.items():
        frame.attrs.update(
            title=titles[sheet][0], units=titles[sheet][1], gwp_set=gwp_set, sheet=sheet
        )
    return tables


def lulucf_codes() -> list[str]:
    """IPCC 2006 codes the CRT places wholly in sector 4 (LULUCF), the broadest only: land
    (3.B), fires on forest and other land (3.C.1.a, 3.C.1.d), harvested wood and other
    (3.D), as ``crt_mapping.csv`` says."""
    rows = crt_mapping()
    inside = sorted(
        code for code, row in rows.items() if all(t == "4" or t.startswith("4.") for t in row.crt)
    )
    return [c for c in inside if not any(a in inside for a in ancestors(c))]


def total_without_lulucf(ds: xr.Dataset, variable: str) -> np.ndarray:
    """The national total of ``variable`` without its LULUCF categories, by year (one area
    and source): the sum of the most detailed categories with a number outside
    :func:`lulucf_codes`, NaN in a year where there is none. Category ``0`` of an openmrv
    dataset is the total with LULUCF (removals negative), as the IPCC tree adds it up."""
    flat, cat = _squeeze(ds)
    codes = [str(c) for c in flat[cat].values]
    vals = np.asarray(flat[variable].transpose("time", cat).values, dtype=float)
    has = ~np.isnan(vals)
    skip = lulucf_codes()
    total = np.zeros(vals.shape[0])
    found = np.zeros(vals.shape[0], dtype=bool)
    for i, code in enumerate(codes):
        if code == "0" or any(code == c or code.startswith(c + ".") for c in skip):
            continue
        below = [j for j, d in enumerate(codes) if d.startswith(code + ".") or code == "0"]
        leaf = has[:, i] & ~has[:, below].any(axis=1) if below else has[:, i]
        total += np.where(leaf, vals[:, i], 0.0)
        found |= leaf
    return np.where(found, total, np.nan)


def _sheet_order(name: str) -> tuple[int, str]:
    """Summaries first, then the sectoral tables with their detail sheets, Table7-10, and
    openmrv's annex sheets last."""
    if name.startswith("openmrv-"):
        return (3, name)
    if name.startswith("Summary"):
        return (0, name)
    stem = name.split("(")[0].split(".")[0].removesuffix("s1").removesuffix("s2")
    number = stem.removeprefix("Table")
    if number.isdigit() and int(number) <= 6:
        return (1, f"{int(number):02d}{name}")
    return (2, f"{int(number) if number.isdigit() else 99:02d}{name}")


def _no_empty(frame: pd.DataFrame) -> pd.DataFrame:
    """Empty cells are ``None`` (never NaN or ``""``), as xlsx and JSON read them back."""
    frame = frame.astype(object)
    return frame.where(frame.notna() & (frame != ""), None)


def uncertainty_table(approach1: pd.DataFrame) -> pd.DataFrame:
    """Approach 1 uncertainty in the layout of IPCC 2006 Vol 1 Table 3.2, with CRT codes.

    The total row holds the sums of C, D, H and M, and in G the uncertainty of the total
    (sqrt of the sum of H) [%]; ``attrs['trend_uncertainty_pct']`` is sqrt of the sum of M.
    """
    need = ["category", "gas", "key", *UNCERTAINTY_COLUMNS]
    lacking = [c for c in need if c not in approach1.columns]
    if lacking:
        raise InputError(f"uncertainty table lacks columns {lacking}", field="uncertainty")
    frame = pd.DataFrame(
        {
            "code": [_crt_of(str(c)) for c in approach1["category"]],
            "A IPCC category": approach1["category"].astype(str),
            "B gas": approach1["gas"].astype(str),
            "item": approach1["key"].fillna("").astype(str),
            **{UNCERTAINTY_COLUMNS[c]: approach1[c].astype(float) for c in UNCERTAINTY_COLUMNS},
        }
    )
    total: dict[str, Any] = {c: None for c in frame.columns}
    total.update({"code": "Total", "A IPCC category": "Total", "B gas": "", "item": ""})
    for c in "CDHM":
        total[UNCERTAINTY_COLUMNS[c]] = float(frame[UNCERTAINTY_COLUMNS[c]].sum())
    total[UNCERTAINTY_COLUMNS["G"]] = math.sqrt(total[UNCERTAINTY_COLUMNS["H"]])
    frame = pd.concat([pd.DataFrame([total]), frame], ignore_index=True).astype(object)
    frame = _no_empty(frame)
    frame.attrs["total_row"] = "Total"
    frame.attrs["additive_columns"] = [UNCERTAINTY_COLUMNS[c] for c in "CDHM"]
    frame.attrs["trend_uncertainty_pct"] = math.sqrt(total[UNCERTAINTY_COLUMNS["M"]])
    return frame


KEY_ADDITIVE = (
    "base_year_Gg_CO2e",
    "latest_year_Gg_CO2e",
    "level_a1_share",
    "trend_a1_share",
    "level_a2_share",
    "trend_a2_share",
)


def key_category_table(key_categories: pd.DataFrame) -> pd.DataFrame:
    """The key category analysis with CRT codes, and a total row (sums of the emissions
    and of the shares)."""
    lacking = [c for c in ("category", "gas", *KEY_ADDITIVE) if c not in key_categories]
    if lacking:
        raise InputError(f"key category table lacks columns {lacking}", field="key_categories")
    frame = key_categories.copy()
    frame.insert(0, "code", [_crt_of(str(c)) for c in frame["category"]])
    frame = frame.rename(
        columns={
            "category": "IPCC category",
            "base_year_Gg_CO2e": "base year [kt CO2 eq]",
            "latest_year_Gg_CO2e": "latest year [kt CO2 eq]",
        }
    )
    additive = [
        {"base_year_Gg_CO2e": "base year [kt CO2 eq]"}.get(
            c, {"latest_year_Gg_CO2e": "latest year [kt CO2 eq]"}.get(c, c)
        )
        for c in KEY_ADDITIVE
    ]
    total: dict[str, Any] = {c: None for c in frame.columns}
    total.update({"code": "Total", "IPCC category": "Total", "gas": ""})
    for c in additive:
        total[c] = float(frame[c].astype(float).sum())
    frame = pd.concat([pd.DataFrame([total]), frame], ignore_index=True).astype(object)
    frame = _no_empty(frame)
    frame.attrs["total_row"] = "Total"
    frame.attrs["additive_columns"] = additive
    return frame


__all__ = [
    "BACKGROUND",
    "CATEGORIES_FILE",
    "GASES",
    "JSON_FORMAT",
    "JSON_VERSION",
    "KEY_ADDITIVE",
    "KEY_SHEET",
    "MAPPING_FILE",
    "SCHEMA_FILE",
    "UNCERTAINTY_COLUMNS",
    "UNCERTAINTY_SHEET",
    "WITHOUT_LULUCF",
    "CRTFileError",
    "CRTMappingError",
    "MappingRow",
    "crt_categories",
    "crt_cells",
    "crt_mapping",
    "crt_tables",
    "gwp_set_of",
    "key_category_table",
    "lulucf_codes",
    "map_category",
    "read_crt_json",
    "read_crt_xlsx",
    "tables_to_json",
    "total_without_lulucf",
    "uncertainty_table",
    "write_crt_json",
    "write_crt_xlsx",
]
