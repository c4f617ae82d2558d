"""CRT sectoral background tables laid out row for row as the Common Reporting Tables are
(decision 5/CMA.3 annex I): Table1.A(a)s1-s4, Table1.B.1, Table1.B.2, Table1.C, Table1.D,
Table2(II) (:func:`by_chemical`), Table3.A, Table3.B(a), Table3.B(b), Table3.C, Table3.D,
Table5.A-5.D and Table6 (indirect emissions,
:func:`~openmrv.report.crt_background_select.indirect_table`).

Row lists and columns are data, ``report/data/crt_background_rows.csv`` and
``report/data/crt_background_columns.csv`` (sources in ``report/data/SOURCES.md``). Each row
shows the activity data, the implied emission factor (IEF) of each gas and the emissions:

- emissions of a category row: the dataset's number, as in Table1, Table3 and Table5
  (:func:`openmrv.report.crt.crt_cells`), or its notation key;
- emissions of a fuel row of Table1.A(a) (a fuel class, e.g. gaseous fuels, or one fuel,
  e.g. diesel oil): the sum of the inventory's fuel-combustion estimates (``emissions.csv``)
  of that fuel in the category's subtree, fuels classed by the families of IPCC 2006 Vol 2
  Ch 1 Table 1.1 (:func:`openmrv.estimate.inventory.energy.fuel_family`);
- emissions of a row selected by activity and key (``crt_background_selectors.csv``: rice
  water regimes in Table3.C, N inputs in Table3.D): the sum of the estimates of its scope
  with that activity and key; a row marked included there is ``IE`` where its scope has a
  number;
- activity: the sum of the run's activity data (``activity.csv``, energy in TJ) behind the
  row's estimates, where they are one activity in one unit;
- ``IEF = emissions / activity``, computed (t/TJ for CO2 and kg/TJ for CH4 and N2O in
  Table1.A(a) and Table1.D; kg per unit of activity elsewhere).

A cell without a number holds a notation key; its explanation is collected
(:class:`~openmrv.report.crt_layout.Keyed`) for Table9. See ``docs/crt.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

import pandas as pd

from openmrv.dataformat import GASES
from openmrv.fuels import fuel_family
from openmrv.report.crt_background_select import indirect_table, row_selectors, selected
from openmrv.report.crt_layout import DATA, EXPLAIN, CRTLayoutError, Keyed, _fill, explain_key
from openmrv.report.crt_map import map_category

ROWS_FILE = DATA / "crt_background_rows.csv"
COLUMNS_FILE = DATA / "crt_background_columns.csv"

#: the activity behind fuel combustion estimates (the rows of Table1.A(a) and Table1.D)
FUEL_ACTIVITY = "fuel_consumption"
FUEL_CLASSES = ("liquid", "solid", "gaseous", "other", "peat", "biomass")
#: IEF unit -> its mass of gas per kt (emissions are in kt): a unit conversion
IEF_SCALE = {"t/TJ": 1.0e3, "kg/TJ": 1.0e6, "kg/unit": 1.0e6}
QUANTITIES = ("activity_name", "activity_unit", "activity", "ief", "emissions")
#: Table2(II): emissions by chemical [t] (``species``) and totals in kt CO2 eq
#: (``species_total``: HFCs, PFCs, their unspecified mix, as in Table2(I))
QUANTITIES += ("species", "species_total")
#: Table6: indirect emissions of the column's gas [kt] (NE: openmrv estimates none)
QUANTITIES += ("indirect",)
T_PER_KT = 1.0e3
#: CRT codes of memo items (outside the national total)
MEMO_ROOTS = ("1.D",)

TITLES = {
    "Table1.A(a)s1": "Table 1.A(a) sheet 1: fuel combustion, energy industries",
    "Table1.A(a)s2": "Table 1.A(a) sheet 2: fuel combustion, manufacturing industries and "
    "construction",
    "Table1.A(a)s3": "Table 1.A(a) sheet 3: fuel combustion, transport",
    "Table1.A(a)s4": "Table 1.A(a) sheet 4: fuel combustion, other sectors and other",
    "Table1.B.1": "Table 1.B.1: fugitive emissions from solid fuels",
    "Table1.B.2": "Table 1.B.2: fugitive emissions from oil, natural gas and other sources",
    "Table1.C": "Table 1.C: CO2 transport and storage",
    "Table1.D": "Table 1.D: international bunkers and multilateral operations (memo items)",
    "Table2(II)": "Table 2(II): emissions of halocarbons (by chemical), SF6 and NF3",
    "Table3.A": "Table 3.A: enteric fermentation (CH4)",
    "Table3.B(a)": "Table 3.B(a): manure management (CH4)",
    "Table3.B(b)": "Table 3.B(b): manure management (N2O)",
    "Table5.A": "Table 5.A: solid waste disposal (CH4)",
    "Table3.C": "Table 3.C: rice cultivation (CH4)",
    "Table3.D": "Table 3.D: direct and indirect N2O emissions from agricultural soils",
    "Table5.B": "Table 5.B: biological treatment of solid waste",
    "Table5.C": "Table 5.C: incineration and open burning of waste",
    "Table5.D": "Table 5.D: wastewater treatment and discharge",
    "Table6": "Table 6: indirect CO2 and N2O emissions (not estimated by openmrv)",
}

WHY = {
    "fuel": "not estimated: the case's activity data give no {fuel} burnt in this category",
    "biomass": (
        "not estimated: openmrv classes fuels by the fossil fuel families of IPCC 2006 Vol 2 "
        "Ch 1 Table 1.1 and estimates no combustion of biomass"
    ),
    "activity": "not estimated: the case gives no activity data for this category",
    "key": (
        "not estimated: the case's activity data give no {label} (no estimate of {scope} with "
        "this activity and key, crt_background_selectors.csv)"
    ),
    "included": "included elsewhere: {why}",
    "mixed": (
        "not applicable: the activities of the rows below differ in kind or unit and have no "
        "sum (the CRT leaves this cell blank)"
    ),
    "ief": (
        "not applicable: no single positive activity for the row (activities of different "
        "kinds or units, or none, or zero), so no implied emission factor"
    ),
}


@cache
def background_rows() -> pd.DataFrame:
    """The row lists: ``table``, ``row`` (from 1), ``code``, ``fuel``, ``label``."""
    frame = pd.read_csv(ROWS_FILE, comment="#", dtype=str, keep_default_na=False)
    frame["row"] = frame["row"].astype(int)
    for table, part in frame.groupby("table", sort=False):
        if (
            list(part["row"]) != list(range(1, len(part) + 1))
            or part.duplicated(["code", "fuel"]).any()
        ):
            raise CRTLayoutError(
                f"rows of {table} must be numbered 1..n with unique (code, fuel)", file=ROWS_FILE
            )
    known = {"", "total", "other_liquid", *FUEL_CLASSES}
    bad = {f for f in frame["fuel"] if f not in known and fuel_family(f) == "other"}
    if bad:
        raise CRTLayoutError(f"unknown fuels {sorted(bad)}", file=ROWS_FILE, field="fuel")
    return frame


@cache
def background_columns() -> pd.DataFrame:
    """The columns: ``table``, ``column``, ``quantity``, ``entity``, ``unit``."""
    frame = pd.read_csv(COLUMNS_FILE, comment="#", dtype=str, keep_default_na=False)
    bad = set(frame["quantity"]) - set(QUANTITIES)
    if bad:
        raise CRTLayoutError(f"unknown quantities {sorted(bad)}", file=COLUMNS_FILE)
    gas_cols = frame[frame["quantity"].isin(["ief", "emissions"])]
    if not set(gas_cols["entity"]) <= set(GASES):
        raise CRTLayoutError("ief and emissions columns need a gas", file=COLUMNS_FILE)
    ief_units = set(frame.loc[frame["quantity"] == "ief", "unit"])
    if not ief_units <= set(IEF_SCALE):
        raise CRTLayoutError(f"IEF units {sorted(ief_units - set(IEF_SCALE))}", file=COLUMNS_FILE)
    if set(frame["table"]) != set(background_rows()["table"]):
        raise CRTLayoutError("the tables of the row and column lists differ", file=COLUMNS_FILE)
    return frame


def background_tables_list() -> list[str]:
    """The background tables, in the order of the row list."""
    return list(dict.fromkeys(background_rows()["table"]))


def fuel_class(key: str) -> str:
    """The Table1.A(a) fuel class of a fuel key: ``peat`` apart (the CRT has a row for it),
    else its family (liquid, solid, gaseous; ``other`` for any other fuel)."""
    return "peat" if key == "peat" else fuel_family(key)


def fuel_matches(fuel: str, key: str, listed: set[str]) -> bool:
    """Whether an estimate of fuel ``key`` belongs to a row of fuel ``fuel`` (``listed``:
    the single fuels with their own row in the same category)."""
    if fuel in ("", "total"):
        return True
    if fuel in FUEL_CLASSES:
        return fuel_class(key) == fuel
    if fuel == "other_liquid":
        return fuel_class(key) == "liquid" and key not in listed
    return key == fuel


def _within(code: str | None, root: str) -> bool:
    return code is not None and (code == root or code.startswith(root + "."))


def _crt_code(category: str) -> str | None:
    crt = map_category(str(category)).crt
    return crt[0] if len(crt) == 1 else None


def _prepared(records: pd.DataFrame, activity: pd.DataFrame) -> tuple[dict, dict]:
    """By year: the records as (code, gas, activity, key, value [kt]) and the activity as
    (category, gas, code, activity, key, unit, value)."""
    rec = records[["category", "gas", "year", "value_Gg", "activity", "key"]].copy()
    act = activity[["category", "gas", "activity", "key", "year", "value", "unit"]].copy()
    for frame in (rec, act):
        frame["key"] = frame["key"].fillna("").astype(str)
        frame["year"] = frame["year"].astype(int)
        codes = {c: _crt_code(c) for c in frame["category"].astype(str).unique()}
        frame["code"] = [codes[str(c)] for c in frame["category"]]
    by_rec: dict[int, list] = {}
    for c, g, a, k, y, v in zip(
        rec["code"],
        rec["gas"],
        rec["activity"],
        rec["key"],
        rec["year"],
        rec["value_Gg"],
        strict=True,
    ):
        by_rec.setdefault(y, []).append((c, g, a, k, v))
    by_act: dict[int, list] = {}
    for cat, g, c, a, k, y, u, v in zip(
        act["category"],
        act["gas"],
        act["code"],
        act["activity"],
        act["key"],
        act["year"],
        act["unit"],
        act["value"],
        strict=True,
    ):
        by_act.setdefault(y, []).append((cat, g, c, a, k, u, v))
    return by_rec, by_act


class _Table:
    """One background table being filled for one year (plain lists: read once per cell)."""

    def __init__(self, name, rec, act, cells, t, explained, keyed, year):
        self.name, self.cells, self.t, self.year = name, cells, t, year
        self.explained, self.keyed = explained, keyed
        cols = background_columns()
        part = cols[cols["table"] == name]
        self.columns = list(
            zip(part["column"], part["quantity"], part["entity"], part["unit"], strict=True)
        )
        self.gases = [g for g in GASES if g in set(part["entity"])]
        self.rec = [r for r in rec.get(year, []) if r[1] in self.gases]
        seen: set[tuple[str, str, str]] = set()
        self.act = []
        for cat, gas, code, activity, key, unit, value in act.get(year, []):
            if gas in self.gases and (cat, activity, key) not in seen:
                seen.add((cat, activity, key))
                self.act.append((code, activity, key, unit, value))
        self.why: dict[tuple[str, str], str] = {}
        #: emissions filled so far, by (code, gas): the scope of an IE row
        self.done: dict[tuple[str, str], Any] = {}
        self.label = ""

    def key(self, code, label, entity, value, why) -> Any:
        self.keyed.append(Keyed(self.name, self.year, code, label, entity, str(value), why))
        self.why[(code, str(value))] = why
        return value

    def emissions(self, code, fuel, kind, label, gas, listed, inside, sel=None) -> float | str:
        if sel is not None and sel["included"]:
            scope = sel["scope"]
            whole = self.done.get((scope, gas))
            if whole is None:
                whole = _fill(self.cells, scope, kind, gas, self.t, self.explained)[0]
            if isinstance(whole, float):
                why = WHY["included"].format(why=sel["included"])
                return self.key(code, label, gas, "IE", why)
        if sel is not None and sel["match"]:
            nums = [
                float(v) for _, g, a, k, v in inside if g == gas and selected(sel["match"], a, k)
            ]
            if nums:
                return float(sum(nums))
            whole, why = _fill(self.cells, sel["scope"], kind, gas, self.t, self.explained)
            if isinstance(whole, str) and why is not None:
                return self.key(code, label, gas, whole, why)
            why = WHY["key"].format(label=label.lower(), scope=sel["scope"])
            return self.key(code, label, gas, "NE", why)
        if fuel in ("", "total"):
            value, why = _fill(self.cells, code, kind, gas, self.t, self.explained)
            return value if why is None else self.key(code, label, gas, value, why)
        nums = [
            float(v)
            for _, g, a, k, v in inside
            if g == gas and a == FUEL_ACTIVITY and fuel_matches(fuel, k, listed)
        ]
        if nums:
            return float(sum(nums))
        total, why = _fill(self.cells, code, kind, gas, self.t, self.explained)
        if isinstance(total, str) and why is not None:
            return self.key(code, label, gas, total, why)
        why = WHY["biomass"] if fuel == "biomass" else WHY["fuel"].format(fuel=label.lower())
        return self.key(code, label, gas, "NE", why)

    def activity(self, code, fuel, kind, label, listed, emissions, rows=None) -> tuple:
        if rows is not None and rows["match"]:
            scope, match = rows["scope"], rows["match"]
            sel = [
                (a, u, float(v))
                for c, a, k, u, v in self.act
                if _within(c, scope) and selected(match, a, k)
            ]
        else:
            sel = [
                (a, u, float(v))
                for c, a, k, u, v in self.act
                if _within(c, code)
                and (not fuel or (a == FUEL_ACTIVITY and fuel_matches(fuel, k, listed)))
            ]
        if not sel:
            keys = [v for v in emissions.values() if isinstance(v, str)]
            if len(keys) == len(emissions) and len(set(keys)) == 1 and (code, keys[0]) in self.why:
                # the emissions' key and explanation hold for their activity (Table9 has them)
                return keys[0], keys[0], keys[0]
            why = EXPLAIN["memo"] if kind == "memo" else WHY["activity"]
            value = self.key(code, label, "activity", "NE", why)
            return value, value, value
        names, units = {a for a, _, _ in sel}, {u for _, u, _ in sel}
        if len(names) == 1 and len(units) == 1:
            return names.pop(), units.pop(), float(sum(v for _, _, v in sel))
        value = self.key(code, label, "activity", "NA", WHY["mixed"])
        return ", ".join(sorted(names)), "NA", value

    def row(self, code, fuel, label, listed) -> dict[str, Any]:
        kind = "memo" if any(_within(code, r) for r in MEMO_ROOTS) else "category"
        rec: dict[str, Any] = {"year": self.year, "code": code}
        if fuel:
            rec["fuel"] = fuel
        rec["category"] = label
        if fuel not in ("", "total"):
            label = f"{self.label}: {label}"
        else:
            self.label = label
        sel = row_selectors().get((self.name, code))
        scope = code if sel is None else sel["scope"]
        picked = (fuel and fuel != "total") or sel is not None
        inside = [r for r in self.rec if _within(r[0], scope)] if picked else []
        em = {
            g: self.emissions(code, fuel, kind, label, g, listed, inside, sel) for g in self.gases
        }
        if fuel in ("", "total"):
            self.done.update({(code, g): v for g, v in em.items()})
        name, unit, value = self.activity(code, fuel, kind, label, listed, em, sel)
        for column, quantity, entity, ief_unit in self.columns:
            if quantity == "activity_name":
                rec[column] = name
            elif quantity == "activity_unit":
                rec[column] = unit
            elif quantity == "activity":
                rec[column] = value
            elif quantity == "emissions":
                rec[column] = em[entity]
            else:
                rec[column] = ief(em[entity], value, ief_unit)
                if rec[column] == "NA" and isinstance(em[entity], float):
                    rec[column] = self.key(code, label, f"{entity} IEF", "NA", WHY["ief"])
        return rec


def ief(emissions: float | str, activity: Any, unit: str) -> float | str:
    """The implied emission factor in ``unit`` of ``emissions`` [kt] per ``activity``; the
    emissions' notation key where they have none; ``NA`` where the activity is no positive
    number."""
    if isinstance(emissions, str):
        return emissions
    if isinstance(activity, float) and activity > 0:
        return emissions * IEF_SCALE[unit] / activity
    return "NA"


def background_layout(
    cells: Mapping[str, Mapping[str, list]],
    yrs: list[int],
    select: list[int],
    records: pd.DataFrame,
    activity: pd.DataFrame,
    explained: Mapping[tuple[str, str, str], list[str]],
    keyed: list[Keyed],
    gwps: Mapping[str, float] | None = None,
) -> dict[str, pd.DataFrame]:
    """Every background table, one block of rows per selected year.

    Parameters
    ----------
    cells
        :func:`openmrv.report.crt.crt_cells` of the dataset.
    yrs, select
        The dataset's years and those to write.
    records
        The inventory's estimates (``emissions.csv``: category, gas, year, value_Gg,
        activity, key).
    activity
        The activity behind them (``activity.csv``: category, gas, activity, key, year,
        value, unit; energy in TJ).
    explained
        :func:`openmrv.report.crt_layout.case_explanations` of the case's notation keys.
    keyed
        Keyed cells are appended here (emissions and activity cells; an IEF carries the
        key of its emissions).
    gwps
        GWP of each gas of the dataset (Table2(II)'s CO2-equivalent totals).

    Returns
    -------
    dict of str to pandas.DataFrame
        Columns ``year``, ``code``, ``fuel`` (Table1.A(a) and Table1.D), ``category``, then
        the table's columns (``crt_background_columns.csv``).
    """
    rec, act = _prepared(records, activity)
    rows = background_rows()
    out: dict[str, pd.DataFrame] = {}
    cols = background_columns()
    for name in background_tables_list():
        part = rows[rows["table"] == name]
        if cols.loc[cols["table"] == name, "quantity"].isin(["species"]).any():
            out[name] = by_chemical(name, cells, yrs, select, explained, keyed, gwps or {})
            continue
        if cols.loc[cols["table"] == name, "quantity"].isin(["indirect"]).any():
            part_cols = cols[cols["table"] == name]
            out[name] = indirect_table(name, part, part_cols, yrs, select, keyed)
            continue
        listed: dict[str, set[str]] = {}
        for code, fuel in zip(part["code"], part["fuel"], strict=True):
            if fuel and fuel not in ("total", "other_liquid", *FUEL_CLASSES):
                listed.setdefault(code, set()).add(fuel)
        records_out = []
        spec = list(zip(part["code"], part["fuel"], part["label"], strict=True))
        for t, year in enumerate(yrs):
            if year not in select:
                continue
            table = _Table(name, rec, act, cells, t, explained, keyed, year)
            for code, fuel, label in spec:
                records_out.append(table.row(code, fuel, label, listed.get(code, set())))
        head = ["year", "code", *(["fuel"] if part["fuel"].ne("").any() else []), "category"]
        cols = background_columns()
        frame = pd.DataFrame.from_records(
            records_out, columns=[*head, *cols.loc[cols["table"] == name, "column"]]
        ).astype(object)
        first = part["code"].iloc[0]
        whole = all(_within(c, first) for c in part["code"])
        frame.attrs["total_row"] = first if whole else None
        out[name] = frame
    return out


def by_chemical(
    name: str,
    cells: Mapping[str, Mapping[str, list]],
    yrs: list[int],
    select: list[int],
    explained: Mapping[tuple[str, str, str], list[str]],
    keyed: list[Keyed],
    gwps: Mapping[str, float],
) -> pd.DataFrame:
    """Table2(II): emissions of each halocarbon, SF6 and NF3 [t] by category, the HFC and
    PFC totals [kt CO2 eq]. A chemical the dataset holds (openmrv's HFC species of 2.F.1)
    shows its number or key; any other is ``NE`` (openmrv estimates no other F-gas), the
    totals as Table2(I) fills them (:func:`openmrv.report.crt_layout._fill`)."""
    rows = background_rows()
    part = rows[rows["table"] == name]
    cols = background_columns()
    spec = cols[cols["table"] == name]
    records = []
    for t, year in enumerate(yrs):
        if year not in select:
            continue
        for code, label in zip(part["code"], part["label"], strict=True):
            rec: dict[str, Any] = {"year": year, "code": code, "category": label}
            for column, quantity, entity in zip(
                spec["column"], spec["quantity"], spec["entity"], strict=True
            ):
                if quantity == "species_total":
                    value, why = _fill(cells, code, "category", entity, t, explained, gwps)
                else:
                    got = cells.get(entity, {}).get(code)
                    value = None if got is None else got[t]
                    why = None
                    if isinstance(value, float):
                        value = value * T_PER_KT
                    elif isinstance(value, str):
                        why = explain_key(code, entity, value, explained)
                    else:
                        value, why = "NE", EXPLAIN["fgas_ne"]
                if why is not None:
                    keyed.append(Keyed(name, year, code, label, entity, str(value), why))
                rec[column] = value
            records.append(rec)
    frame = pd.DataFrame.from_records(
        records, columns=["year", "code", "category", *spec["column"]]
    ).astype(object)
    frame.attrs["total_row"] = part["code"].iloc[0]
    return frame
