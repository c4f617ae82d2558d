"""Published satellite-based national estimates as top-down evidence.

A cited table (``data/published_estimates.csv``; columns :data:`TABLE_COLUMNS`, rules in
docs/published-estimates.md, sources in ``data/SOURCES.md``) holds the national
top-down estimates that papers publish: value, interval, period, satellite, DOI and the
quoted sentence. A new country is a new row, no code.

- :func:`read_published` reads and checks the table (:func:`validate_published`);
- :func:`published_evidence` turns a country's rows into top-down evidence rows
  (:data:`openmrv.verify.evidence.EVIDENCE_COLUMNS`, plus ``low_kt``/``high_kt``, the
  95 % interval, ``source``, the DOI, and the inventory years to compare with);
- :func:`compare_published` compares each row with the inventory
  (:func:`openmrv.verify.topdown.compare_topdown`, the same verdict rules as every other
  evidence), one row at a time against the inventory value of its own basis.

Interval conventions (the 1-sigma the comparison uses, from the table's ``interval``):

- ``1-sigma``: low and high are value -/+ 1 sigma: sigma = (high - low) / 2;
- ``2-sigma``: sigma = (high - low) / 4;
- ``95 %``: sigma = (high - low) / (2 x 1.96);
- ``range``: a paper's "uncertainty range" (e.g. an inversion ensemble's spread), read
  as a 95 % interval: sigma = (high - low) / (2 x 1.96). Assumption (openmrv): a range
  spans about the central 95 %; if it is narrower (an ensemble's min-max of a few
  members), the sigma is too small and the test too strict;
- ``none``: no interval published: sigma is NaN; :func:`compare_published` leaves the
  row out (it cannot be tested).

An asymmetric interval gives one symmetric sigma (half its width); its bounds stay in
``low_kt``/``high_kt``.

Inventory basis: an estimate for one year is compared with that inventory year (a year
after the inventory's last, with the last). An estimate for several years is compared
with the inventory's mean over those years when the inventory covers them all, else with
the middle year of the period (``inventory_basis`` says which). The 95 % interval of a
mean is the mean of the years' intervals: assumption (openmrv): the years' errors are
fully correlated (the same emission factors every year dominate them).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from openmrv.dataformat import GASES
from openmrv.errors import InputError, UnitError
from openmrv.units import conversion_factor, same_dimension
from openmrv.verify.evidence import EVIDENCE_COLUMNS, bottom_up_intervals
from openmrv.verify.topdown import Z95, compare_topdown

PUBLISHED_FILE = Path(__file__).parent / "data" / "published_estimates.csv"
#: columns of the published-estimates table
TABLE_COLUMNS = (
    "country",
    "first_author",
    "year_published",
    "title",
    "journal",
    "doi",
    "page_or_table",
    "satellite",
    "method",
    "period_first",
    "period_last",
    "gas",
    "category",
    "scope",
    "value",
    "low",
    "high",
    "interval",
    "unit",
    "kind",
    "quote",
)
#: interval kinds and the divisor that turns their full width into a 1-sigma
INTERVAL_DIVISORS = {
    "1-sigma": 2.0,
    "2-sigma": 4.0,
    "95 %": 2 * Z95,
    "range": 2 * Z95,
    "none": None,
}
KINDS = ("total", "lower_bound")

#: what each interval kind means for the row's sigma (carried to the explanation)
SIGMA_NOTES = {
    "1-sigma": "sigma as published (1-sigma)",
    "2-sigma": "sigma = half the published 2-sigma",
    "95 %": "sigma = half the published 95 % interval / 1.96",
    "range": (
        "sigma = half the published uncertainty range / 1.96 (assumption (openmrv): the "
        "range read as a 95 % interval)"
    ),
    "none": "no interval published: sigma unknown, the estimate cannot be tested",
}
#: extra columns of an evidence row made here
EXTRA_COLUMNS = (
    "low_kt",
    "high_kt",
    "source",
    "period_first",
    "period_last",
    "inventory_first",
    "inventory_last",
    "inventory_basis",
    "sigma_note",
    "scope",
)
_TYPED = ("value", "low", "high", "period_first", "period_last", "year_published")
_REQUIRED_TEXT = (
    "country",
    "first_author",
    "title",
    "journal",
    "doi",
    "page_or_table",
    "satellite",
    "method",
    "gas",
    "category",
    "scope",
    "interval",
    "unit",
    "kind",
    "quote",
)


def label(first_author: str, year_published: int, satellite: str) -> str:
    """The evidence label of a published estimate (the grammar of docs/report.md):
    ``published estimate: <first author> <year>, <satellite>``."""
    return f"published estimate: {first_author} {int(year_published)}, {satellite}"


@cache
def _default_table() -> pd.DataFrame:
    return validate_published(_read_csv(PUBLISHED_FILE), PUBLISHED_FILE)


def read_published(path: str | Path | None = None) -> pd.DataFrame:
    """The published-estimates table at ``path`` (default: the package's), checked.

    Raises
    ------
    InputError
        The file cannot be read, or a row breaks a rule (:func:`validate_published`).
    """
    if path is None:
        return _default_table().copy()
    return validate_published(_read_csv(Path(path)), path)


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise InputError(f"cannot be read as a UTF-8 CSV table ({exc})", file=path) from None


def _number(row: pd.Series, col: str, where: dict, *, required: bool) -> float:
    text = str(row[col]).strip()
    if text == "":
        if required:
            raise InputError("is empty; give a number", field=col, **where)
        return math.nan
    try:
        v = float(text)
    except ValueError:
        raise InputError(f"'{text}' is not a number", field=col, **where) from None
    if not math.isfinite(v):
        raise InputError(f"'{text}' is not a finite number", field=col, **where)
    return v


def _year(row: pd.Series, col: str, where: dict) -> int:
    v = _number(row, col, where, required=True)
    if v != int(v) or not 1900 <= v <= 2100:
        raise InputError(f"'{row[col]}' is not a year (1900-2100)", field=col, **where)
    return int(v)


def validate_published(frame: pd.DataFrame, file: str | Path = PUBLISHED_FILE) -> pd.DataFrame:
    """Check a published-estimates table row by row; return it with numbers and years
    typed (value, low, high as float; years as int).

    Rules: every column of :data:`TABLE_COLUMNS`; text fields not empty (a DOI of the
    form ``10.xxxx/...``, a quote); ``country`` an ISO 3166 alpha-3 code; ``gas`` one of
    CO2, CH4, N2O; ``value`` > 0; ``low`` <= ``value`` <= ``high``, both given unless
    ``interval`` is ``none`` (then both empty); ``interval`` one of
    :data:`INTERVAL_DIVISORS`; ``kind`` one of :data:`KINDS`; ``unit`` a mass per time
    (pint syntax, with or without the gas, e.g. ``Tg / yr``, ``kt CH4 / yr``, ``t / h``);
    ``period_first`` <= ``period_last`` <= ``year_published``.

    Raises
    ------
    InputError
        Naming the file, the line (header = line 1) and the field.
    """
    lacking = [c for c in TABLE_COLUMNS if c not in frame.columns]
    if lacking:
        raise InputError(
            f"lacks columns {lacking}; the table needs {list(TABLE_COLUMNS)}", file=file
        )
    out = frame.copy().reset_index(drop=True)
    typed: dict[str, list] = {c: [] for c in _TYPED}
    for i, row in out.iterrows():
        where = {"file": file, "row": int(i) + 2}
        for col in _REQUIRED_TEXT:
            if str(row[col]).strip() == "":
                raise InputError("is empty; every published estimate needs it", field=col, **where)
        doi = str(row["doi"]).strip()
        if not doi.startswith("10.") or "/" not in doi:
            raise InputError(
                f"'{doi}' is not a DOI; write it as 10.xxxx/... (no https://doi.org/)",
                field="doi",
                **where,
            )
        country = str(row["country"]).strip()
        if not (len(country) == 3 and country.isalpha() and country.isupper()):
            raise InputError(
                f"'{country}' is not an ISO 3166 alpha-3 code such as TKM", field="country", **where
            )
        if row["gas"] not in GASES:
            raise InputError(f"'{row['gas']}' is not one of {list(GASES)}", field="gas", **where)
        if row["kind"] not in KINDS:
            raise InputError(f"'{row['kind']}' is not one of {list(KINDS)}", field="kind", **where)
        if row["interval"] not in INTERVAL_DIVISORS:
            raise InputError(
                f"'{row['interval']}' is not one of {list(INTERVAL_DIVISORS)}",
                field="interval",
                **where,
            )
        value = _number(row, "value", where, required=True)
        if value <= 0:
            raise InputError(
                f"{value} is not positive; an emission estimate is > 0", field="value", **where
            )
        bounded = row["interval"] != "none"
        low = _number(row, "low", where, required=bounded)
        high = _number(row, "high", where, required=bounded)
        if not bounded and not (math.isnan(low) and math.isnan(high)):
            raise InputError(
                "interval 'none' takes no low or high; leave them empty", field="low", **where
            )
        if bounded and not low <= value <= high:
            raise InputError(
                f"low {low} <= value {value} <= high {high} does not hold", field="low", **where
            )
        if bounded and low < 0:
            raise InputError(f"{low} is negative; an emission is >= 0", field="low", **where)
        _check_unit(str(row["unit"]), str(row["gas"]), where)
        first, last = _year(row, "period_first", where), _year(row, "period_last", where)
        published = _year(row, "year_published", where)
        if not first <= last <= published:
            raise InputError(
                f"period {first}-{last} must run forward and end by the year of "
                f"publication {published}",
                field="period_last",
                **where,
            )
        for col, v in zip(_TYPED, (value, low, high, first, last, published), strict=True):
            typed[col].append(v)
    for col, values in typed.items():
        out[col] = pd.Series(values, dtype=float if col in ("value", "low", "high") else int)
    return out


def _check_unit(unit: str, gas: str, where: dict) -> None:
    try:
        ok = same_dimension(unit, "kt / yr") or same_dimension(unit, f"kt {gas} / yr")
    except UnitError as exc:
        raise UnitError(exc.message, field="unit", **where) from None
    if not ok:
        raise UnitError(
            f"'{unit}' is not a mass per time; write e.g. 'Tg / yr', 'kt {gas} / yr' or 't / h'",
            field="unit",
            **where,
        )


def kt_per_year(value: float, unit: str, gas: str) -> float:
    """``value`` in ``unit`` (a mass of ``gas`` per time) as kt per year (pint, Julian
    year of 365.25 days).

    Raises
    ------
    UnitError
        The unit is unknown or not a mass per time.
    """
    target = "kt / yr" if same_dimension(unit, "kt / yr") else f"kt {gas} / yr"
    return value * conversion_factor(unit, target, field="unit")


def sigma_and_interval(
    value: float, low: float, high: float, interval: str
) -> tuple[float, float, float]:
    """1-sigma and 95 % interval (sigma, low95, high95) of a published estimate, from its
    published bounds and their ``interval`` kind (module notes). ``none``: all NaN."""
    divisor = INTERVAL_DIVISORS[interval]
    if divisor is None:
        return math.nan, math.nan, math.nan
    sigma = (high - low) / divisor
    if interval in ("95 %", "range"):
        return sigma, low, high
    return sigma, max(value - Z95 * sigma, 0.0), value + Z95 * sigma


def _basis(first: int, last: int, years: set[int] | None) -> tuple[int, int, int, str]:
    """(evidence year, inventory first, inventory last, basis text) of a period."""
    middle = (first + last) // 2
    if years is None:
        lo = hi = middle
        text = f"year {middle}" if first == last else f"middle year {middle} of {first}-{last}"
        return middle, lo, hi, text
    top = max(years)
    if first == last:
        y = min(first, top)
        text = (
            f"inventory year {y}"
            if y == first
            else f"last inventory year {y} (estimate for {first})"
        )
        return first, y, y, text
    if all(y in years for y in range(first, last + 1)):
        return middle, first, last, f"inventory mean {first}-{last}"
    y = min(middle, top)
    return (
        middle,
        y,
        y,
        f"inventory year {y}, middle of {first}-{last} (the inventory does not cover the period)",
    )


def published_evidence(
    table: pd.DataFrame, country: str, years: Iterable[int] | None = None
) -> pd.DataFrame:
    """Top-down evidence rows from the published estimates of ``country``.

    Parameters
    ----------
    table
        A checked published-estimates table (:func:`read_published`).
    country
        ISO 3166 alpha-3 code; rows of other countries are left out.
    years
        The inventory's years: a multi-year estimate is compared with the inventory's
        mean over its period when all its years are here, else with its middle year.
        None: the middle year.

    Returns
    -------
    pandas.DataFrame
        :data:`~openmrv.verify.evidence.EVIDENCE_COLUMNS` (value_kt, sigma_kt in kt per
        year; ``year`` the period's year or middle year; ``evidence`` "published estimate:
        <first author> <year>, <satellite>"; ``osse`` False) and :data:`EXTRA_COLUMNS`:
        ``low_kt``/``high_kt`` (95 %), ``source`` (the DOI), the period, the inventory
        years to compare with and ``inventory_basis`` (words), ``sigma_note``, ``scope``.
        Empty (with those columns) when the table has no row for ``country``.
    """
    inv_years = None if years is None else {int(y) for y in years}
    rows = []
    for r in table[table["country"] == country].itertuples(index=False):
        factor = kt_per_year(1.0, r.unit, r.gas)
        sigma, lo95, hi95 = sigma_and_interval(r.value, r.low, r.high, r.interval)
        year, inv_first, inv_last, basis = _basis(
            int(r.period_first), int(r.period_last), inv_years
        )
        rows.append(
            {
                "category": str(r.category),
                "gas": r.gas,
                "year": year,
                "value_kt": r.value * factor,
                "sigma_kt": sigma * factor,
                "evidence": label(r.first_author, r.year_published, r.satellite),
                "kind": r.kind,
                "osse": False,
                "low_kt": lo95 * factor,
                "high_kt": hi95 * factor,
                "source": f"doi:{r.doi}",
                "period_first": int(r.period_first),
                "period_last": int(r.period_last),
                "inventory_first": inv_first,
                "inventory_last": inv_last,
                "inventory_basis": basis,
                "sigma_note": SIGMA_NOTES[r.interval],
                "scope": r.scope,
            }
        )
    return pd.DataFrame(rows, columns=[*EVIDENCE_COLUMNS, *EXTRA_COLUMNS])


def inventory_basis_interval(
    dataset: xr.Dataset,
    row,
    last_year: int,
    gwp_set: str,
    summary: pd.DataFrame | None = None,
    gas_summary: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The inventory's value and 95 % interval on one evidence row's basis (its
    ``inventory_first`` to ``inventory_last`` years; their mean, module notes), as a
    one-row bottom-up table keyed by the row's ``year``."""
    keys = pd.DataFrame(
        {
            "category": row.category,
            "gas": row.gas,
            "year": list(range(int(row.inventory_first), int(row.inventory_last) + 1)),
        }
    )
    per_year = bottom_up_intervals(dataset, keys, last_year, gwp_set, summary, gas_summary)
    return pd.DataFrame(
        [
            {
                "category": row.category,
                "gas": row.gas,
                "year": int(row.year),
                "value_kt": float(per_year["value_kt"].mean()),
                "low_kt": float(per_year["low_kt"].mean()),
                "high_kt": float(per_year["high_kt"].mean()),
            }
        ]
    )


def compare_published(
    evidence: pd.DataFrame,
    dataset: xr.Dataset,
    last_year: int,
    gwp_set: str,
    summary: pd.DataFrame | None = None,
    gas_summary: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Each published-estimate row (:func:`published_evidence`) against the inventory on
    its basis, by :func:`~openmrv.verify.topdown.compare_topdown` (same verdict rules as
    all evidence). ``verification.csv`` columns plus ``source``, ``inventory_basis``,
    ``top_down_low_kt``, ``top_down_high_kt`` (95 %) and ``scope``.

    A row without a published interval (NaN sigma, interval ``none``) is left out: it
    cannot be tested, and no verdict of the shared vocabulary says "untested"."""
    frames = []
    for r in evidence.itertuples(index=False):
        if np.isnan(r.sigma_kt):
            continue
        bu = inventory_basis_interval(dataset, r, last_year, gwp_set, summary, gas_summary)
        td = pd.DataFrame([{c: getattr(r, c) for c in (*EVIDENCE_COLUMNS, "low_kt", "high_kt")}])
        out = compare_topdown(bu, td)
        note = (
            f" Inventory side: {r.inventory_basis}. Top-down {r.sigma_note}; {r.scope}; {r.source}."
        )
        out["explanation"] = out["explanation"] + note
        out["source"] = r.source
        out["inventory_basis"] = r.inventory_basis
        out["top_down_low_kt"] = r.low_kt
        out["top_down_high_kt"] = r.high_kt
        out["scope"] = r.scope
        frames.append(out)
    if not frames:
        return pd.DataFrame()
    return pd.concat(frames, ignore_index=True)
