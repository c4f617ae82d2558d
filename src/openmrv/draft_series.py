"""The activity series ``openmrv case new`` packages for a country, from public data copied
into ``openmrv/data/public`` (see its SOURCES.md: source, commit, path, licence, date).

Each series is copied value by value from its packaged file, with its source on every row.
What a series lacks in the draft's years is listed as a gap with the gap-filling methods of
IPCC 2006 Vol 1 Ch 5 that fit it; what no packaged file holds is listed as missing.

Packaged today (for KAZ, TKM and UZB only):

- FAOSTAT QCL livestock stocks (cattle, milk animals of cattle, sheep, goats, camels,
  horses, asses, pigs, chickens, turkeys), FAOSTAT QCL rice area harvested and FAOSTAT RFN
  nitrogen agricultural use, through the Gapminder/open-numbers DDF copy of FAOSTAT's bulk
  download (FAOSTAT data: CC BY 4.0);
- BP Statistical Review of World Energy 2021 as ingested by Our World in Data
  (owid/energy-data): primary consumption of gas, oil and coal, gas production (Bcm) and
  oil production (kb/d).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from importlib.resources import files
from itertools import pairwise

#: FAOSTAT area codes of the countries packaged (FAOSTAT definitions and standards,
#: "Country/region" list: 108 Kazakhstan, 213 Turkmenistan, 235 Uzbekistan)
FAO_AREA = {"KAZ": "108", "TKM": "213", "UZB": "235"}
#: the country names of the BP Statistical Review rows (column Entity)
BP_ENTITY = {"KAZ": "Kazakhstan", "TKM": "Turkmenistan", "UZB": "Uzbekistan"}

_DDF = (
    "open-numbers/ddf--unfao--faostat commit 0f42e2c66 (FAOSTAT bulk download 2025-07, CC BY 4.0)"
)
_BP = "BP Statistical Review of World Energy 2021 via owid/energy-data commit 757bf23e5065"

#: the FAOSTAT RFN file stem of nitrogen agricultural use (tonnes N)
RFN_N = "rfn_nutrient_nitrogen_n_total_agricultural_use"

#: livestock populations: (categories, key, FAOSTAT file stem, how the value is formed)
LIVESTOCK: tuple[tuple[tuple[str, ...], str, str, str], ...] = (
    (("3.A.1.a.i", "3.A.2.a.i"), "dairy_cattle", "qcl_raw_milk_of_cattle_milk_animals",
     'item "Raw milk of cattle", element Milk Animals'),
    (("3.A.1.a.ii", "3.A.2.a.ii"), "other_cattle", "qcl_cattle_stocks",
     'item "Cattle" (Stocks) minus milk animals of cattle'),
    (("3.A.1.c", "3.A.2.c"), "sheep", "qcl_sheep_stocks", 'item "Sheep", element Stocks'),
    (("3.A.1.d", "3.A.2.d"), "goats", "qcl_goats_stocks", 'item "Goats", element Stocks'),
    (("3.A.1.e", "3.A.2.e"), "camels", "qcl_camels_stocks", 'item "Camels", element Stocks'),
    (("3.A.1.f", "3.A.2.f"), "horses", "qcl_horses_stocks", 'item "Horses", element Stocks'),
    (("3.A.1.g", "3.A.2.g"), "mules_asses", "qcl_asses_stocks",
     'item "Asses", element Stocks (mules not packaged)'),
    (("3.A.1.h", "3.A.2.h"), "swine", "qcl_swine_pigs_stocks",
     'item "Swine / pigs", element Stocks'),
)  # fmt: skip

#: poultry (manure only, 3.A.2.i): FAOSTAT chickens + turkeys, both in 1000 head
POULTRY = ("qcl_chickens_stocks", "qcl_turkeys_stocks")
#: rice area harvested (ha), FAOSTAT QCL item "Rice" (paddy), element Area harvested
RICE = "qcl_rice_area_harvested"


#: energy and fugitive series from the BP file: (category, activity, key, column, unit, note)
ENERGY: tuple[tuple[str, str, str, str, str, str], ...] = (
    ("1.A", "apparent_consumption", "natural_gas", "Gas Consumption - EJ", "EJ",
     "reference approach; BP consumption = inland demand incl. own use and losses"),
    ("1.A", "apparent_consumption", "crude_oil", "Oil Consumption - EJ", "EJ",
     "all oil products consumed, under key crude_oil for the reference approach"),
    ("1.A", "apparent_consumption", "other_bituminous_coal", "Coal Consumption - EJ", "EJ",
     "assumption (openmrv): coal type other bituminous; the compiler checks the coal ranks"),
    ("1.B.2.b", "gas_production", "*", "Gas Production - Bcm", "1e9 m**3",
     "BP marketed production (excludes flared and re-injected gas)"),
    ("1.B.2.b.iii.4", "gas_marketed", "*", "Gas Production - Bcm", "1e9 m**3",
     "transmission: marketable gas entering the transmission system, taken as production"),
    ("1.B.2.a", "oil_production", "*", "Oil Production - Barrels", "1e3 oil_barrel / day * year",
     "BP total liquids incl. NGLs (overstates crude+condensate by the NGL share)"),
)  # fmt: skip

#: what the packaged files do not hold, per sector (shown in TODO.md)
NOT_PACKAGED = (
    "1.A sectoral fuel combustion (fuel_consumption by 1.A.1-1.A.5): needs a national energy "
    "balance (IEA, UN Energy Statistics Database); the BP totals give only the reference "
    "approach, so the sectoral categories are NE until it is added",
    "3.A camels for KAZ and mules (FAOSTAT QCL holds them; not packaged yet); other poultry "
    "(ducks, geese) beyond chickens and turkeys",
    "3.C organic N (manure applied, grazing deposits), crop residues, urea (3.C.3), liming; "
    "rice (3.C.7) water regimes and season length are assumptions until national data "
    "replace them",
    "2 industrial production (cement clinker, ammonia, lime, steel), 4 waste (population, "
    "waste per capita), 1.B.1 coal production by mine type",
)


@dataclass(frozen=True)
class DraftRow:
    """One activity row of the draft (the columns of ``activity.csv``)."""

    category: str
    activity: str
    key: str
    year: int
    value: float
    unit: str
    source: str
    notes: str


def _read(name: str) -> list[dict[str, str]]:
    text = (files("openmrv") / "data" / "public" / name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def faostat(stem: str, iso3: str) -> dict[int, float]:
    """Year -> value of one packaged FAOSTAT file for ``iso3`` (empty when not packaged)."""
    area = FAO_AREA.get(iso3)
    return {
        int(r["year"]): float(r[stem]) for r in _read(f"faostat_{stem}.csv") if r["geo"] == area
    }


def bp(iso3: str, column: str) -> dict[int, float]:
    """Year -> value of one column of the packaged BP Statistical Review rows for ``iso3``."""
    entity = BP_ENTITY.get(iso3)
    rows = _read("bp_statreview2021_owid_central_asia.csv")
    return {int(r["Year"]): float(r[column]) for r in rows if r["Entity"] == entity and r[column]}


def covered_years(iso3: str) -> tuple[int, int] | None:
    """The last year every packaged series of ``iso3`` reaches, and the first year of any
    (``None`` when nothing is packaged for the country)."""
    series = [faostat(stem, iso3) for _, _, stem, _ in LIVESTOCK]
    series += [faostat(RFN_N, iso3)]
    series += [bp(iso3, col) for *_, col, _, _ in ENERGY]
    series = [s for s in series if s]
    if not series:
        return None
    return min(min(s) for s in series), min(max(s) for s in series)


def draft_rows(iso3: str, first: int, last: int) -> tuple[list[DraftRow], list[str]]:
    """The packaged activity rows of ``iso3`` for ``first``-``last`` and the gaps (one line per
    series: the years missing and the Vol 1 Ch 5 methods that fit)."""
    rows: list[DraftRow] = []
    gaps: list[str] = []
    years = range(first, last + 1)

    def add(cats, activity, key, data, unit, source, notes):
        have = [y for y in years if y in data]
        for cat in cats:
            rows.extend(DraftRow(cat, activity, key, y, data[y], unit, source, notes) for y in have)
        missing = [y for y in years if y not in data]
        if missing and have:
            before = [y for y in missing if y < have[0]]
            after = [y for y in missing if y > have[-1]]
            inside = [y for y in missing if have[0] < y < have[-1]]
            how = []
            if before:
                how.append(f"{before[0]}-{before[-1]} before the series: extrapolation "
                           "(5.3.3.4) or a surrogate (5.3.3.2), e.g. national statistics "
                           "of the Soviet republic")  # fmt: skip
            if inside:
                how.append(f"{len(inside)} years inside: interpolation (5.3.3.3)")
            if after:
                how.append(f"{after[0]}-{after[-1]} after the series: extrapolation "
                           "(5.3.3.4) until a newer edition is added")  # fmt: skip
            gaps.append(f"{', '.join(cats)} `{activity}` {key}: " + "; ".join(how))
        # a series that halves or doubles from one year to the next is listed for checking
        # (screening rule, assumption (openmrv): a break in definitions or coverage is likelier
        # than a real change of that size; Vol 1 Ch 5.2 time-series consistency)
        for a, b in pairwise(have):
            if data[a] > 0 and data[b] > 0 and not 0.5 <= data[b] / data[a] <= 2.0:
                gaps.append(f"{', '.join(cats)} `{activity}` {key}: {a} -> {b} changes from "
                            f"{data[a]:g} to {data[b]:g}; check whether it is real or a break "
                            "in the series (Vol 1 Ch 5.2) before use")  # fmt: skip

    cattle = faostat("qcl_cattle_stocks", iso3)
    for cats, key, stem, how in LIVESTOCK:
        data = faostat(stem, iso3)
        if key == "other_cattle":
            milk = faostat("qcl_raw_milk_of_cattle_milk_animals", iso3)
            data = {y: cattle[y] - milk[y] for y in cattle if y in milk}
        if not data:
            continue
        src = (
            f"FAOSTAT QCL, {how}, area {FAO_AREA[iso3]} "
            f"({_DDF}; openmrv data/public/faostat_{stem}.csv)"
        )
        add(
            cats,
            "head",
            key,
            data,
            "head",
            src,
            "FAOSTAT stocks; uncertainty per FAO flags (not in the DDF copy)",
        )
    birds = [faostat(stem, iso3) for stem in POULTRY]
    poultry = {y: 1000 * sum(b[y] for b in birds) for y in birds[0] if all(y in b for b in birds)}
    if poultry:
        src = (
            f'FAOSTAT QCL, items "Chickens" + "Turkeys", element Stocks (1000 head x 1000), '
            f"area {FAO_AREA[iso3]} ({_DDF}; openmrv data/public/faostat_{POULTRY[0]}.csv, "
            f"faostat_{POULTRY[1]}.csv)"
        )
        add(("3.A.2.i",), "head", "poultry", poultry, "head", src,
            "FAOSTAT stocks; ducks and geese not packaged")  # fmt: skip
    rice = {y: v for y, v in faostat(RICE, iso3).items() if v > 0}
    assumed = draft_rice(iso3)
    if rice and assumed:
        key = f"{assumed['water_regime']}:{assumed['pre_season']}"
        why = f"assumption (openmrv), data/public/draft_rice.csv: {assumed['reason']}"
        src = (
            f'FAOSTAT QCL, item "Rice", element Area harvested, area {FAO_AREA[iso3]} '
            f"({_DDF}; openmrv data/public/faostat_{RICE}.csv)"
        )
        add(("3.C.7",), "area_harvested", key, rice, "ha", src, f"water regimes: {why}")
        days = {y: float(assumed["cultivation_period_day"]) for y in rice}
        add(("3.C.7",), "rice_cultivation_period", key, days, "day",
            "openmrv data/public/draft_rice.csv", why)  # fmt: skip
    n = faostat(RFN_N, iso3)
    if n:
        src = (
            "FAOSTAT RFN, item Nutrient nitrogen N (total), element Agricultural Use, area "
            f"{FAO_AREA[iso3]} ({_DDF}; openmrv data/public/faostat_{RFN_N}.csv)"
        )
        add(("3.C.4", "3.C.5"), "n_applied", "synthetic_fertiliser", n, "t N", src,
            "all synthetic N (urea N included, as F_SN of Vol 4 Eq. 11.1)")  # fmt: skip
    for cat, act, key, col, unit, note in ENERGY:
        data = bp(iso3, col)
        if data:
            src = (
                f'{_BP}, column "{col}", entity {BP_ENTITY[iso3]} '
                "(openmrv data/public/bp_statreview2021_owid_central_asia.csv)"
            )
            add((cat,), act, key, data, unit, src, note)
    return rows, gaps


def draft_rice(iso3: str) -> dict[str, str] | None:
    """The rice water regimes and season length a draft assumes for ``iso3``
    (``data/public/draft_rice.csv``; ``None`` when the country has no row)."""
    rows = [r for r in _read("draft_rice.csv") if r["iso3"] == iso3]
    return rows[0] if rows else None


def draft_qualifiers(
    iso3: str,
) -> tuple[dict[str, str], dict[str, dict[str, str]], list[str], list[str]]:
    """The factor choices proposed for ``iso3`` (``data/public/draft_qualifiers.csv``):
    case-wide qualifiers, per-table qualifiers, one line of reason each (for TODO.md), and
    the factor tables to prefer (qualifier ``prefer``)."""
    prefer: list[str] = []
    common: dict[str, str] = {}
    by_table: dict[str, dict[str, str]] = {}
    reasons = []
    for r in _read("draft_qualifiers.csv"):
        if r["iso3"] != iso3:
            continue
        if r["qualifier"] == "prefer":
            prefer.append(r["table"])
        elif r["table"]:
            by_table.setdefault(r["table"], {})[r["qualifier"]] = r["value"]
        else:
            common[r["qualifier"]] = r["value"]
        where = f" in `{r['table']}`" if r["table"] else ""
        reasons.append(f"`{r['qualifier']}: {r['value']}`{where}: {r['reason']}")
    return common, by_table, reasons, prefer


#: categories a draft reports NE until the compiler adds their activity (category, gases,
#: reason); the notation keys of decision 18/CMA.1 para 31
NOT_ESTIMATED: tuple[tuple[str, tuple[str, ...], str], ...] = (
    *(
        (c, ("CO2", "CH4", "N2O"), "sectoral fuel combustion: no energy balance packaged; "
         "the BP totals give the reference approach only")
        for c in ("1.A.1", "1.A.2", "1.A.3", "1.A.4", "1.A.5")
    ),
    ("1.B.1", ("CH4",), "coal production by mine type not packaged"),
    ("2.A.1", ("CO2",), "clinker production not packaged"),
    ("2.B.1", ("CO2",), "ammonia production not packaged"),
    ("2.C.1", ("CO2",), "steel production not packaged"),
    ("3.C.3", ("CO2",), "urea applied not packaged"),
    ("4.A", ("CH4",), "population and waste per capita not packaged"),
    ("4.D.1", ("CH4", "N2O"), "population and protein supply not packaged"),
)  # fmt: skip


def notation_key_rows() -> list[dict[str, str]]:
    """The draft's ``notation_keys.csv`` rows: NE with the reason for each category above."""
    return [
        {"category": c, "gas": g, "notation_key": "NE", "explanation": f"draft: {why}"}
        for c, gases, why in NOT_ESTIMATED
        for g in gases
    ]
