"""CRT tables built from the laid-out tables and the run's records: Summary3 (methods and
emission factors), Table7 (key categories), Table9 (completeness: notation keys and their
explanations) and Table10 (trends, sheets Table10s1-s4). See ``docs/crt.md``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from openmrv.dataformat import GASES
from openmrv.report.crt_layout import F_GASES, Keyed, row_list
from openmrv.report.crt_map import _crt_of, _names, map_category

#: Table7's identification criteria: (label, key_categories.csv column stem)
CRITERIA = (("L1", "level_a1"), ("T1", "trend_a1"), ("L2", "level_a2"), ("T2", "trend_a2"))
#: Summary3's gases, in the CRT's order
SUMMARY3_GASES = (*GASES, *F_GASES)


def _years_text(years: Iterable[int]) -> str:
    """Years as ranges: ``2000-2003, 2005``."""
    ys = sorted(set(years))
    parts: list[str] = []
    start = prev = ys[0]
    for y in [*ys[1:], None]:
        if y is not None and y == prev + 1:
            prev = y
            continue
        parts.append(str(start) if start == prev else f"{start}-{prev}")
        if y is not None:
            start = prev = y
    return ", ".join(parts)


def completeness_table(keyed: list[Keyed]) -> pd.DataFrame:
    """Table9: every CRT row and gas that carries a notation key, with the key, the years,
    the explanation and the tables where it shows, in the order first met."""
    groups: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for k in keyed:
        if k.entity == "total":
            continue
        rec = groups.setdefault(
            (k.code, k.entity, k.key, k.explanation),
            {"label": k.label, "years": set(), "tables": []},
        )
        if k.year is not None:
            rec["years"].add(k.year)
        if k.table not in rec["tables"]:
            rec["tables"].append(k.table)
    records = [
        {
            "code": code,
            "category": rec["label"],
            "gas": gas,
            "notation key": key,
            "years": _years_text(rec["years"]) if rec["years"] else "all",
            "explanation": why,
            "tables": ", ".join(rec["tables"]),
        }
        for (code, gas, key, why), rec in groups.items()
    ]
    frame = pd.DataFrame.from_records(
        records,
        columns=["code", "category", "gas", "notation key", "years", "explanation", "tables"],
    ).astype(object)
    frame.attrs["total_row"] = None
    return frame


def _method(tiers: set[str]) -> str:
    return ",".join(sorted(f"T{t}" if t.isdigit() else t for t in tiers))


def _factor_kind(table_ref: str) -> str:
    """``D`` (IPCC default) for a factor from an IPCC default table of openmrv's factor
    library (``ipcc2006_*``, ``ipcc2019r_*``) or a stoichiometric ratio, ``CS``
    (country-specific) for any other table (the case's own factors)."""
    table = table_ref.split(":")[0].strip()
    return "D" if table.startswith("ipcc") or table == "stoichiometry" else "CS"


def methods_table(records: pd.DataFrame, summary1: pd.DataFrame) -> pd.DataFrame:
    """Summary3: method (tier) and emission factor type by CRT category and gas.

    Rows are Summary1's category rows below the national total. A cell gathers the tiers
    (``T1``, ``T2``, ``T3``) and factor types (``D`` IPCC default, ``CS`` country-specific)
    of every estimate mapped into the row's subtree over all years; a gas without an
    estimate there carries the row's Summary1 notation key of the latest year.
    """
    tiers: dict[tuple[str, str], set[str]] = {}
    kinds: dict[tuple[str, str], set[str]] = {}
    for rec in records[["category", "gas", "tier", "factors"]].drop_duplicates().itertuples():
        targets = map_category(str(rec.category)).crt
        for target in targets:
            tiers.setdefault((target, str(rec.gas)), set()).add(str(rec.tier))
            refs = [r for r in str(rec.factors).split(";") if r.strip()]
            kinds.setdefault((target, str(rec.gas)), set()).update(
                _factor_kind(r.strip()) for r in refs
            )
    last = summary1[summary1["year"] == summary1["year"].max()].set_index("code")
    header = {g: c for c in summary1.columns for g in SUMMARY3_GASES if c.startswith(g + " [")}
    out = []
    for code, label, kind in row_list("Summary1"):
        if kind != "category" or code == "Total":
            continue
        rec: dict[str, Any] = {"code": code, "category": label}
        for gas in SUMMARY3_GASES:
            inside = [k for k in tiers if k[1] == gas and _under(k[0], code)]
            if inside:
                rec[f"{gas} method applied"] = _method(set().union(*(tiers[k] for k in inside)))
                rec[f"{gas} emission factor"] = ",".join(
                    sorted(set().union(*(kinds[k] for k in inside)))
                )
            else:
                key = last.loc[code, header[gas]]
                rec[f"{gas} method applied"] = rec[f"{gas} emission factor"] = key
        out.append(rec)
    frame = pd.DataFrame.from_records(out).astype(object)
    frame.attrs["total_row"] = None
    return frame


def _under(code: str, root: str) -> bool:
    return code == root or code.startswith(root + ".")


def key_category_crt(key_categories: pd.DataFrame) -> pd.DataFrame:
    """Table7: the key categories (key by level or trend, Approach 1 or 2), with the CRT
    code, the criteria that identified them (L level, T trend; 1 / 2 the IPCC Approach),
    their Approach 1 shares and, as comments, the qualitative flags."""
    names = _names()
    out = []
    for rec in key_categories.itertuples(index=False):
        crit = [label for label, col in CRITERIA if bool(getattr(rec, f"{col}_key", False))]
        if not crit:  # openmrv identifies key categories by level and trend only
            continue
        flags = str(getattr(rec, "qualitative_flags", "") or "")
        code = _crt_of(str(rec.category))
        out.append(
            {
                "code": code,
                "category": "; ".join(names.get(c, c) for c in code.split(";")),
                "IPCC category": str(rec.category),
                "gas": str(rec.gas),
                "identification criteria": ", ".join(crit),
                "key category excluding LULUCF": "yes",
                "key category including LULUCF": "NE (no LULUCF estimate)",
                "level share (Approach 1)": float(rec.level_a1_share),
                "trend share (Approach 1)": float(rec.trend_a1_share),
                "comments": (
                    f"qualitative flags (IPCC 2006 Vol 1 Ch 4.3.3, not used for the "
                    f"identification): {flags}"
                    if flags and flags != "nan"
                    else ""
                ),
            }
        )
    frame = pd.DataFrame.from_records(out).astype(object)
    frame.attrs["total_row"] = None
    return frame


def trend_tables(summary1: pd.DataFrame, summary2: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Table10s1 (CO2 equivalents, all gases) and Table10s2-s4 (CO2, CH4, N2O in kt):
    one row per Summary1 category row, one column per year, and the change from the first
    to the last year [%] (``NA`` where the first year is zero, the first or last year's
    notation key where either is not a number)."""
    sheets = {
        "Table10s1": (summary2, "Total [kt CO2 eq]", "kt CO2 eq"),
        "Table10s2": (summary1, "CO2 [kt]", "kt"),
        "Table10s3": (summary1, "CH4 [kt]", "kt"),
        "Table10s4": (summary1, "N2O [kt]", "kt"),
    }
    out = {}
    for sheet, (src, column, unit) in sheets.items():
        yrs = sorted(int(y) for y in src["year"].unique())
        by = src.set_index(["code", "year"])[column]
        recs = []
        for code, label, kind in row_list("Summary1"):
            if kind != "category":
                continue
            rec: dict[str, Any] = {"code": code, "category": label}
            for y in yrs:
                rec[f"{y} [{unit}]"] = by[(code, y)]
            first, last = rec[f"{yrs[0]} [{unit}]"], rec[f"{yrs[-1]} [{unit}]"]
            if isinstance(first, float) and isinstance(last, float):
                change: float | str = 100.0 * (last / first - 1.0) if first != 0 else "NA"
            else:
                change = first if not isinstance(first, float) else last
            rec["change from first to last year [%]"] = change
            recs.append(rec)
        frame = pd.DataFrame.from_records(recs).astype(object)
        frame.attrs["total_row"] = "Total"
        out[sheet] = frame
    return out
