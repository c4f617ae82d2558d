"""CRT sectoral background tables: activity data, implied emission factors, emissions.

The CRT sectoral background tables (decision 5/CMA.3 annex I) show for each sub-category
the activity data, the *implied emission factor* (IEF) of each gas and the emissions:

    IEF = emissions / activity            [kg of gas per unit of activity]

(e.g. kg CO2/TJ for fuel combustion, kg CH4/head for livestock). The IEF is implied:
it is what the inventory's emissions and activity data give together, whatever tier
and factors produced the emissions.

- :func:`activity_table` lists the activity behind every estimate of an
  :class:`~openmrv.estimate.inventory.InventoryResult` (it reads the result's
  ``estimates``; it calls no method). Energy is converted to TJ. The run folder keeps it
  as ``activity.csv``.
- :func:`background_tables` builds the 2.B table (``Table2(I).B-AD``; the other sectors
  are laid out in the CRT's own rows by :mod:`openmrv.report.crt_background`) from that
  activity table, the ``emissions.csv`` rows (category, gas, year, value_Gg, activity, key) and the
  emissions dataset's notation keys. One row per year, CRT code, IPCC category,
  activity and key (fuel, animal, segment), and a total row per year (code = the
  table's root) holding the sum of the rows' emissions, and the sum of their activity
  where all rows are one activity in one unit, each (activity, key) once.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from openmrv.dataformat import GASES, years
from openmrv.errors import InputError
from openmrv.report.crt import map_category, within
from openmrv.units import conversion_factor, same_dimension

#: sheet -> (CRT root code, title). Sheets sit beside the emissions-only tables of
#: :mod:`openmrv.report.crt`. Only 2.B is left here: the other sectors' activity data and
#: IEFs are in the CRT-layout background tables (:mod:`openmrv.report.crt_background`:
#: Table1.A(a)s1-s4, Table1.B.2, Table3.A, Table3.B(a)/(b), Table5.A replace the former
#: ``Table1.A(a)-AD``, ``Table1.B.2-AD``, ``Table3.A-AD``, ``Table3.B-AD``, ``Table5.A-AD``).
BACKGROUND_AD: dict[str, tuple[str, str]] = {
    "Table2(I).B-AD": ("2.B", "Chemical industry: production and implied emission factors"),
}
#: Activity units the tables report in, by dimension of the input unit.
REPORT_UNITS = ("TJ",)
ACTIVITY_COLUMNS = ["category", "gas", "activity", "key", "year", "value", "unit"]
KG_PER_KT = 1.0e6


def _report_unit(unit: str) -> tuple[str, float]:
    for target in REPORT_UNITS:
        if same_dimension(unit, target):
            return target, conversion_factor(unit, target)
    return unit, 1.0


def activity_table(result: Any) -> pd.DataFrame:
    """The activity data behind each estimate of an inventory result.

    Parameters
    ----------
    result
        An :class:`~openmrv.estimate.inventory.InventoryResult`.

    Returns
    -------
    pandas.DataFrame
        category (of the estimate), gas, activity, key, year, value, unit: one row per
        estimate and inventory year; energy in TJ, other activities in their own unit.
    """
    first = int(result.dataset["time"].dt.year.min())
    rows = []
    for est in result.estimates:
        s = est.series
        unit, f = _report_unit(s.unit)
        for y, v in zip(s.years, s.values, strict=True):
            if int(y) >= first:
                rows.append((est.category, est.gas, s.activity, s.key, int(y), float(v) * f, unit))
    frame = pd.DataFrame(rows, columns=ACTIVITY_COLUMNS)
    return frame.drop_duplicates(["category", "gas", "activity", "key", "year"], ignore_index=True)


def _ief_unit(unit: str) -> str:
    return f"kg/{unit}" if " " not in unit and "*" not in unit else f"kg/({unit})"


def background_tables(
    ds: xr.Dataset, emissions: pd.DataFrame, activity: pd.DataFrame
) -> dict[str, pd.DataFrame]:
    """The sectoral background tables with activity data and implied emission factors.

    Parameters
    ----------
    ds
        Emissions dataset (notation keys ``notation_key (<gas>)`` are carried into the
        cells of gases a row has no estimate of).
    emissions
        ``emissions.csv`` rows: category, gas, year, value_Gg, activity, key.
    activity
        :func:`activity_table` (``activity.csv``).

    Returns
    -------
    dict of str to pandas.DataFrame
        Sheets of :data:`BACKGROUND_AD`; columns year, code, IPCC category, activity,
        key, activity value, activity unit, then per gas ``<gas> IEF [kg/unit]`` and
        ``<gas> [kt]``. ``attrs['total_row']`` is the root code.
    """

    for name, frame, cols in (
        ("emissions", emissions, ("category", "gas", "year", "value_Gg", "activity", "key")),
        ("activity", activity, ACTIVITY_COLUMNS),
    ):
        lacking = [c for c in cols if c not in frame.columns]
        if lacking:
            raise InputError(f"the {name} table lacks columns {lacking}", field=name)
    keys = ["category", "activity", "key", "year"]
    em = emissions.copy()
    em["key"] = em["key"].fillna("").astype(str)
    act = activity.copy()
    act["key"] = act["key"].fillna("").astype(str)
    em = em.groupby([*keys, "gas"], as_index=False)["value_Gg"].sum()
    ad = act.drop(columns="gas").drop_duplicates(keys)
    merged = ad.merge(em, on=keys, how="left")
    wide = merged.pivot_table(
        index=[*keys, "value", "unit"], columns="gas", values="value_Gg", aggfunc="sum"
    ).reset_index()
    wide["code"] = [";".join(map_category(c).crt) for c in wide["category"]]
    cat = ds.attrs["cat"]
    flat = ds.isel({"area (ISO3)": 0, "source": 0})
    yrs = years(ds)
    # category -> the year's notation keys, per gas (plain lists: read once per cell)
    nk: dict[str, dict[Any, list[Any]]] = {}
    for g in GASES:
        if f"notation_key ({g})" in flat:
            frame = flat[f"notation_key ({g})"].transpose(cat, "time").to_pandas()
            nk[g] = dict(zip(frame.index, frame.to_numpy().tolist(), strict=True))
    tables: dict[str, pd.DataFrame] = {}
    for sheet, (root, title) in BACKGROUND_AD.items():
        part = wide[[within(c, root) for c in wide["code"]]].sort_values(
            ["year", "code", "category", "activity", "key"]
        )
        records: list[dict[str, Any]] = []
        for year in yrs:
            rows = part[part["year"] == year]
            if rows.empty:
                continue
            units = set(rows["unit"])
            # activity adds up only for one activity in one unit, each counted once
            additive = (
                len(units) == 1
                and rows["activity"].nunique() == 1
                and not rows.duplicated(["activity", "key"]).any()
            )
            total: dict[str, Any] = {
                "year": year,
                "code": root,
                "IPCC category": "total",
                "activity": None,
                "key": None,
                "activity value": float(rows["value"].sum()) if additive else None,
                "activity unit": units.pop() if additive else None,
            }
            for g in GASES:
                total[f"{g} IEF [kg/unit]"] = None
                vals = rows[g].dropna() if g in rows else pd.Series(dtype=float)
                total[f"{g} [kt]"] = float(vals.sum()) if len(vals) else None
            records.append(total)
            for r in rows.itertuples(index=False):
                rec: dict[str, Any] = {
                    "year": year,
                    "code": r.code,
                    "IPCC category": r.category,
                    "activity": r.activity,
                    "key": r.key or None,
                    "activity value": float(r.value),
                    "activity unit": r.unit,
                }
                for g in GASES:
                    v = getattr(r, g, np.nan) if g in part else np.nan
                    if np.isnan(v):
                        key = None
                        if g in nk and r.category in nk[g]:
                            key = str(nk[g][r.category][yrs.index(year)]) or None
                        rec[f"{g} IEF [kg/unit]"] = key
                        rec[f"{g} [kt]"] = key
                    else:
                        rec[f"{g} IEF [kg/unit]"] = (
                            float(v) * KG_PER_KT / float(r.value) if r.value else "NA"
                        )
                        rec[f"{g} [kt]"] = float(v)
                records.append(rec)
        columns = ["year", "code", "IPCC category", "activity", "key", "activity value"]
        columns += ["activity unit"] + [
            f"{g} {c}" for g in GASES for c in ("IEF [kg/unit]", "[kt]")
        ]
        frame = pd.DataFrame.from_records(records, columns=columns).astype(object)
        frame = frame.where(frame.notna(), None)
        frame.attrs.update(
            total_row=root,
            title=f"{sheet}: {title}",
            units="activity in the stated unit (energy in TJ); IEF in kg of gas per unit "
            "of activity; emissions in kt",
        )
        tables[sheet] = frame
    return tables
