"""The numbers of the national inventory document (:mod:`openmrv.report.nid`), read from
the run folder: trends by gas and by CRT sector (summed from ``emissions.csv`` with the
run's GWP set), the methods of each category of a CRT sector (tier, method, equation,
factor and activity-data sources from ``emissions.csv``; CRT Summary 3 from ``crt.json``),
key categories (CRT Table 7), uncertainty by category (Approach 1, Vol 1 Ch 3 Table 3.2),
completeness (CRT Table 9 grouped by notation key and explanation) and every gap-filled
or held-constant series (``gap_filling.csv``). Nothing here estimates anything.
"""

from __future__ import annotations

import html
import json
from functools import lru_cache
from pathlib import Path

import pandas as pd

from openmrv import runfolder as rf
from openmrv.gwp import gwp
from openmrv.report.crt import CRTMappingError, map_category
from openmrv.report.html_parts import read_json
from openmrv.report.html_parts import table as html_table
from openmrv.report.wording import crt_label

#: the CRT sectors, one NID chapter each (decision 5/CMA.3 annex V, chapters 3-8)
CRT_SECTORS: dict[str, str] = {
    "1": "Energy",
    "2": "Industrial processes and product use",
    "3": "Agriculture",
    "4": "Land use, land-use change and forestry",
    "5": "Waste",
    "6": "Other",
}
#: Table 9 rows listed by code before "and N more" (crt.json holds them all)
CODES_SHOWN = 25


def crt_sector(ipcc_code: str) -> str:
    """The CRT sector (``"1"``-``"6"``) an IPCC 2006 category reports under."""
    try:
        return map_category(str(ipcc_code)).crt[0].split(".")[0]
    except CRTMappingError:
        return "6"


def emissions(run: Path) -> pd.DataFrame | None:
    """``emissions.csv`` with ``crt_sector`` and ``kt_co2e`` (value x the run's GWP; Gg =
    kt), or None when the run has none."""
    path = run / rf.EMISSIONS_CSV
    if not path.is_file() or path.stat().st_size <= 1:
        return None
    em = pd.read_csv(path, dtype={"category": str, "key": str}, keep_default_na=False)
    em["value_Gg"] = pd.to_numeric(em["value_Gg"], errors="coerce")
    gwp_set = str(read_json(run, rf.RUN_JSON).get("gwp", "AR5GWP100"))
    factor = {g: gwp(g, gwp_set) for g in em["gas"].unique()}
    em["kt_co2e"] = em["value_Gg"] * em["gas"].map(factor)
    em["crt_sector"] = em["category"].map(crt_sector)
    return em


def shown_years(years: list[int], step: int = 5) -> list[int]:
    """The first year, every ``step``-th year divisible by ``step``, and the last (a table
    that fits an A4 page; all years are in crt.json Table 10)."""
    first, last = min(years), max(years)
    mid = [y for y in years if y % step == 0 and first < y < last]
    return sorted({first, *mid, last})


def trend_tables(em: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Trend tables by gas [kt of the gas], by gas [kt CO2 eq] and by CRT sector [kt CO2
    eq], the shown years as columns, a total row and the change first to last year [%]."""
    years = sorted(int(y) for y in em["year"].unique())
    cols = shown_years(years)
    first, last = years[0], years[-1]

    def pivot(index: str, value: str, total: bool) -> pd.DataFrame:
        p = em.pivot_table(index=index, columns="year", values=value, aggfunc="sum")
        p = p.reindex(columns=years)
        if total:
            p.loc["Total"] = p.sum(axis=0, min_count=1)
        out = p[cols].copy()
        out.columns = [str(c) for c in cols]
        out[f"change {first}-{last} [%]"] = 100 * (p[last] / p[first] - 1)
        return out

    by_gas = pivot("gas", "value_Gg", total=False)
    by_gas_co2e = pivot("gas", "kt_co2e", total=True)
    by_sector = pivot("crt_sector", "kt_co2e", total=True)
    by_sector.index = [
        f"{i} {CRT_SECTORS.get(i, '')}".strip() if i != "Total" else i for i in by_sector.index
    ]
    return {
        "by gas [kt]": by_gas.rename_axis("gas").reset_index(),
        "by gas [kt CO2 eq]": by_gas_co2e.rename_axis("gas").reset_index(),
        "by CRT sector [kt CO2 eq]": by_sector.rename_axis("CRT sector").reset_index(),
    }


def _joined(values: pd.Series, sep: str = " | ") -> str:
    seen: list[str] = []
    for v in values.astype(str):
        for part in v.split(sep):
            part = part.strip()
            if part and part not in seen:
                seen.append(part)
    return "; ".join(seen)


def methods_table(em: pd.DataFrame, sector: str) -> tuple[pd.DataFrame, list[str]]:
    """The methods of each category and gas of a CRT sector: CRT code and name (IPCC 2006
    code beside it where it differs), gas, tier(s), method and equation, the sources of its
    emission factors and activity data as numbers into the returned list of sources, and
    the last year's emissions [kt CO2 eq]."""
    sub = em[em["crt_sector"] == sector]
    last = sub["year"].max()
    sources: list[str] = []

    def refs(values: pd.Series) -> str:
        nums = []
        for src in _joined(values).split("; "):
            if not src:
                continue
            if src not in sources:
                sources.append(src)
            nums.append(f"[{sources.index(src) + 1}]")
        return " ".join(nums)

    rows = []
    for (cat, gas), g in sub.groupby(["category", "gas"], sort=True):
        tiers = sorted({str(t) for t in g["tier"] if str(t)})
        rows.append(
            {
                "category (CRT, IPCC 2006)": crt_label(cat),
                "gas": gas,
                "tier": ", ".join(tiers),
                "method and equation": _joined(g["method"]) + " — " + _joined(g["equation"]),
                "emission factors": refs(g["factor_sources"]),
                "activity data": refs(g["activity_source"]),
                f"{last} [kt CO2 eq]": float(g.loc[g["year"] == last, "kt_co2e"].sum()),
            }
        )
    return pd.DataFrame(rows), sources


@lru_cache(maxsize=2)
def _crt_tables(path: str, mtime_ns: int, size: int) -> dict:
    """The tables of a ``crt.json`` (read once per file version: it is megabytes)."""
    return json.loads(Path(path).read_text(encoding="utf-8")).get("tables", {})


def crt_table(run: Path, name: str) -> pd.DataFrame | None:
    """A table of ``crt.json`` (None when the run has none)."""
    path = run / rf.CRT_JSON
    if not path.is_file():
        return None
    st = path.stat()
    t = _crt_tables(str(path.resolve()), st.st_mtime_ns, st.st_size).get(name)
    if not t:
        return None
    return pd.DataFrame(t["rows"], columns=t["columns"])


def summary3(run: Path, sector: str) -> pd.DataFrame | None:
    """CRT Summary 3 (method applied, emission factor) of a sector, CO2, CH4 and N2O."""
    s3 = crt_table(run, "Summary3")
    if s3 is None:
        return None
    code = s3["code"].astype(str)
    keep = s3[(code == sector) | code.str.startswith(sector + ".")]
    cols = ["code", "category"] + [
        f"{g} {w}" for g in ("CO2", "CH4", "N2O") for w in ("method applied", "emission factor")
    ]
    return keep[[c for c in cols if c in keep]]


def not_estimated(run: Path, sector: str) -> pd.DataFrame | None:
    """CRT Table 9 rows of a sector (its categories with a notation key)."""
    t9 = crt_table(run, "Table9")
    if t9 is None:
        return None
    code = t9["code"].astype(str)
    return t9[(code == sector) | code.str.startswith(sector + ".")]


def completeness_table(run: Path) -> pd.DataFrame | None:
    """CRT Table 9 grouped by notation key and explanation: the CRT codes and gases each
    holds (the first :data:`CODES_SHOWN` codes, then how many more)."""
    t9 = crt_table(run, "Table9")
    if t9 is None:
        return None
    rows = []
    for (key, expl), g in t9.groupby(["notation key", "explanation"], sort=False):
        codes = list(dict.fromkeys(g["code"].astype(str)))
        shown = ", ".join(codes[:CODES_SHOWN])
        if len(codes) > CODES_SHOWN:
            shown += f" and {len(codes) - CODES_SHOWN} more (crt.json Table9)"
        gases = ", ".join(dict.fromkeys(g["gas"].astype(str)))
        rows.append([key, expl, len(g), shown, gases])
    cols = ["notation key", "explanation", "entries", "CRT categories", "gases"]
    return pd.DataFrame(rows, columns=cols)


def _spans(years: list[int]) -> str:
    years = sorted(set(years))
    out, start = [], years[0]
    for a, b in zip(years, [*years[1:], None], strict=True):
        if b != a + 1:
            out.append(str(start) if start == a else f"{start}-{a}")
            start = b
    return ", ".join(out)


def gap_filled_series(run: Path) -> pd.DataFrame | None:
    """Every gap-filled or held-constant series of ``gap_filling.csv``, one row per
    series and technique, the years it fills as spans (None: the file is missing)."""
    path = run / rf.GAP_FILLING_CSV
    if not path.is_file():
        return None
    cols = ["category (CRT, IPCC 2006)", "activity", "key", "flag", "technique", "years filled"]
    if path.stat().st_size <= 1:
        return pd.DataFrame(columns=cols)
    gap = pd.read_csv(path, dtype=str, keep_default_na=False)
    rows = []
    for (cat, act, key, flag, tech), g in gap.groupby(
        ["category", "activity", "key", "flag", "technique"], sort=True
    ):
        years = [int(y) for y in g["year"]]
        rows.append([crt_label(cat), act, key, flag, tech, _spans(years)])
    return pd.DataFrame(rows, columns=cols)


def uncertainty_table(run: Path) -> pd.DataFrame | None:
    """Approach 1 by category and gas (CRT code, IPCC 2006 category, emissions, activity
    data, factor and combined uncertainty, contribution to variance), largest share of
    variance first."""
    u = crt_table(run, "openmrv-Uncertainty")
    if u is None:
        return None
    keep = [
        "code",
        "A IPCC category",
        "B gas",
        "item",
        "D year t emissions [kt CO2 eq]",
        "E activity data uncertainty [%]",
        "F emission factor uncertainty [%]",
        "G combined uncertainty [%]",
        "H contribution to variance in year t [%2]",
    ]
    u = u[[c for c in keep if c in u]]
    h = "H contribution to variance in year t [%2]"
    if h in u:
        total = u[u["code"].astype(str) == "Total"]
        u = pd.concat([total, u[u["code"].astype(str) != "Total"].sort_values(h, ascending=False)])
    return u.rename(columns={"code": "CRT code", "A IPCC category": "IPCC 2006", "B gas": "gas"})


def text_table(frame: pd.DataFrame, digits: int = 1) -> str:
    """A table whose text columns are left-aligned (class ``text``)."""
    out = html_table(frame, digits)
    return out.replace('<table class="dataframe">', '<table class="dataframe text">', 1)


def words(value: object) -> str:
    """Escaped text."""
    return html.escape(str(value))
