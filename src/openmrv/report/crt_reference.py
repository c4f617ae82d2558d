"""CRT Table1.A(b) (reference approach) and Table1.A(c) (comparison of the reference and
the sectoral approach) from the inventory's reference approach (IPCC 2006 Vol 2 Ch 6,
:func:`openmrv.estimate.inventory.dataset.reference_approach`) and the run's activity
data and estimates.

Rows: the fuel families of IPCC 2006 Vol 2 Ch 1 Table 1.1 by which openmrv's reference
approach is summed (liquid, solid, gaseous, other fossil fuels) and their total. openmrv
takes the apparent consumption as its input, so Table1.A(b)'s production, imports,
exports, international bunkers and stock change are ``NE`` with that explanation.

- reference approach: apparent consumption [TJ] and CO2 [kt] of the family;
- sectoral approach: the fuel consumption [TJ] of ``activity.csv`` and the CO2 [kt] of
  the fuel-combustion estimates, by the family of each fuel;
- differences [%]: ``100 (reference - sectoral) / sectoral``, computed.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from openmrv.fuels import fuel_family
from openmrv.report.crt_layout import Keyed

#: rows: (fuel family of Vol 2 Ch 1 Table 1.1, CRT label)
FAMILIES = (
    ("liquid", "Liquid fuels"),
    ("solid", "Solid fuels"),
    ("gaseous", "Gaseous fuels"),
    ("other", "Other fossil fuels"),
    ("total", "Total"),
)
SUPPLY = ("Production [TJ]", "Imports [TJ]", "Exports [TJ]", "International bunkers [TJ]")
SUPPLY += ("Stock change [TJ]",)
WHY = {
    "supply": (
        "not estimated: openmrv's reference approach takes the apparent consumption as its "
        "input (IPCC 2006 Vol 2 Ch 6 Eq. 6.1); its components are not in the case"
    ),
    "reference": (
        "not estimated: the case gives no apparent consumption of these fuels (the input of "
        "the reference approach)"
    ),
    "sectoral": "not estimated: the case's activity data give no fuel of this family burnt",
    "difference": "not applicable: one of the two approaches has no number",
}
FUEL_ACTIVITY = "fuel_consumption"


def _sectoral(records: pd.DataFrame, activity: pd.DataFrame) -> dict[tuple[str, int], list]:
    """(family, year) -> [consumption TJ, CO2 kt] of the sectoral approach."""
    out: dict[tuple[str, int], list] = {}
    act = activity[activity["activity"] == FUEL_ACTIVITY]
    act = act.drop_duplicates(["category", "activity", "key", "year"])
    for key, year, value in zip(act["key"], act["year"], act["value"], strict=True):
        out.setdefault((fuel_family(str(key)), int(year)), [0.0, 0.0])[0] += float(value)
    rec = records[(records["activity"] == FUEL_ACTIVITY) & (records["gas"] == "CO2")]
    for key, year, value in zip(rec["key"], rec["year"], rec["value_Gg"], strict=True):
        out.setdefault((fuel_family(str(key)), int(year)), [0.0, 0.0])[1] += float(value)
    return out


def _pct(a: Any, b: Any) -> float | None:
    if isinstance(a, float) and isinstance(b, float) and b:
        return 100.0 * (a - b) / b
    return None


def reference_tables(
    reference: pd.DataFrame,
    records: pd.DataFrame,
    activity: pd.DataFrame,
    select: list[int],
    keyed: list[Keyed],
) -> dict[str, tuple[pd.DataFrame, str, str]]:
    """``Table1.A(b)`` and ``Table1.A(c)`` with their titles and units.

    Parameters
    ----------
    reference
        The inventory's reference approach (``reference_approach.csv``: fuel_family,
        year, reference_Gg_CO2, apparent_consumption_TJ).
    records, activity
        ``emissions.csv`` and ``activity.csv`` rows (the sectoral approach).
    select
        Years to write.
    keyed
        Keyed cells are appended here with their explanations (for Table9).
    """
    ra: dict[tuple[str, int], tuple[float, float]] = {}
    if len(reference) and "apparent_consumption_TJ" in reference:
        for fam, year, tj, co2 in zip(
            reference["fuel_family"],
            reference["year"],
            reference["apparent_consumption_TJ"],
            reference["reference_Gg_CO2"],
            strict=True,
        ):
            ra[(str(fam), int(year))] = (float(tj), float(co2))
    sa = _sectoral(records, activity)
    rows_b: list[dict[str, Any]] = []
    rows_c: list[dict[str, Any]] = []

    def key(table: str, year: int, label: str, entity: str, why: str) -> str:
        value = "NA" if why == WHY["difference"] else "NE"
        keyed.append(Keyed(table, year, "1.A", label, entity, value, why))
        return value

    for year in select:
        fams = [f for f, _ in FAMILIES if f != "total"]
        for fam, label in FAMILIES:
            inside = fams if fam == "total" else [fam]
            got_ra = [ra[(f, year)] for f in inside if (f, year) in ra]
            got_sa = [sa[(f, year)] for f in inside if (f, year) in sa]
            b: dict[str, Any] = {"year": year, "code": "1.A", "fuel": fam, "category": label}
            c: dict[str, Any] = dict(b)
            for col in SUPPLY:
                b[col] = key("Table1.A(b)", year, label, col, WHY["supply"])
            if got_ra:
                ra_tj, ra_co2 = sum(v[0] for v in got_ra), sum(v[1] for v in got_ra)
            else:
                ra_tj = ra_co2 = key("Table1.A(b)", year, label, "CO2", WHY["reference"])
            b["Apparent consumption [TJ]"], b["CO2 emissions [kt]"] = ra_tj, ra_co2
            if got_sa:
                sa_tj, sa_co2 = sum(v[0] for v in got_sa), sum(v[1] for v in got_sa)
            else:
                sa_tj = sa_co2 = key("Table1.A(c)", year, label, "CO2", WHY["sectoral"])
            c["Reference approach: apparent consumption [TJ]"] = ra_tj
            c["Reference approach: CO2 [kt]"] = ra_co2
            c["Sectoral approach: fuel consumption [TJ]"] = sa_tj
            c["Sectoral approach: CO2 [kt]"] = sa_co2
            for name, a, s in (
                ("Difference: energy consumption [%]", ra_tj, sa_tj),
                ("Difference: CO2 [%]", ra_co2, sa_co2),
            ):
                pct = _pct(a, s)
                c[name] = (
                    pct
                    if pct is not None
                    else key("Table1.A(c)", year, label, name, WHY["difference"])
                )
            rows_b.append(b)
            rows_c.append(c)
    frame_b = pd.DataFrame.from_records(rows_b).astype(object)
    frame_c = pd.DataFrame.from_records(rows_c).astype(object)
    for frame in (frame_b, frame_c):
        frame.attrs["total_row"] = None
    return {
        "Table1.A(b)": (
            frame_b,
            "Table 1.A(b): CO2 from fuel combustion, reference approach (by fuel family)",
            "TJ; CO2 in kt",
        ),
        "Table1.A(c)": (
            frame_c,
            "Table 1.A(c): comparison of the reference approach with the sectoral approach",
            "TJ; CO2 in kt; differences in %",
        ),
    }
