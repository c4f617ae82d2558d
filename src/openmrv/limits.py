"""Plausible ranges of the numbers openmrv reads from a user (``data/plausible_ranges.csv``).

Every number read is checked finite and inside its stated range, where it is read, so an
``inf`` or a typo of ten orders of magnitude is an error naming the file, line and field
rather than an ``inf`` or ``NaN`` in a signed result. Each row of the table gives its
source and why; see docs/security.md, "Plausible ranges".

Activity values have one cap in any unit (``activity_value``) and, where the row's unit
has the dimension of a per-dimension row (energy, mass, volume, head, person), that
row's cap converted to the row's unit.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

from openmrv.case_limits import excerpt
from openmrv.constants import DATA, _rows, table_row
from openmrv.errors import CaseError, UnitError
from openmrv.units import parse_unit

PLAUSIBLE_RANGES = DATA / "plausible_ranges.csv"
#: per-dimension caps of activity values (their table unit has the dimension)
_ACTIVITY_DIMENSIONS = (
    "activity_energy",
    "activity_mass",
    "activity_volume",
    "activity_head",
    "activity_person",
)


def ranges() -> dict[str, dict[str, str]]:
    """Every row of the table by quantity."""
    return {r["quantity"]: dict(r) for r in _rows(PLAUSIBLE_RANGES)}


def plausible_range(quantity: str) -> tuple[float, float, dict[str, str]]:
    """(min, max, row) of ``quantity`` in the table."""
    row = table_row(PLAUSIBLE_RANGES, quantity, key="quantity")
    return float(row["min"]), float(row["max"]), row


def out_of_range(value: float, quantity: str, unit: str | None = None) -> str | None:
    """Why ``value`` is implausible for ``quantity`` (None if it is finite and in range).

    ``unit``: the unit ``value`` is in, when it is not the table's unit as written."""
    lo, hi, row = plausible_range(quantity)
    unit = unit or row["unit"]
    if not math.isfinite(value):
        return f"{value} is not a finite number"
    if not lo <= value <= hi:
        return (
            f"{value:g} {unit} is outside the plausible range {lo:g} to {hi:g} {unit} "
            f"({quantity} in {PLAUSIBLE_RANGES.name}: {row['source']})"
        )
    return None


@lru_cache(maxsize=4096)
def _activity_caps(unit: str) -> tuple[tuple[str, float, str], ...]:
    """The caps of an activity value in ``unit``: (quantity, max in ``unit``, table unit)."""
    caps = [("activity_value", plausible_range("activity_value")[1], unit)]
    q = parse_unit(unit)
    for name in _ACTIVITY_DIMENSIONS:
        _, hi, row = plausible_range(name)
        ref = parse_unit(row["unit"])
        if ref.dimensionality == q.dimensionality:
            caps.append((name, hi * float((ref / q).to("dimensionless").magnitude), row["unit"]))
    return tuple(caps)


def activity_out_of_range(value: float, unit: str) -> str | None:
    """Why an activity ``value`` in ``unit`` is implausible (None if it is plausible)."""
    if not math.isfinite(value):
        return f"{value} is not a finite number"
    if value < 0:
        return f"{value} is negative; activity data must be >= 0"
    for name, hi, table_unit in _activity_caps(unit):
        if value > hi:
            row = plausible_range(name)[2]
            return (
                f"{value:g} {unit} is above the plausible maximum {hi:g} {unit} "
                f"(= {float(row['max']):g} {table_unit}; {name} in {PLAUSIBLE_RANGES.name}: "
                f"{row['note']} Source: {row['source']}); check the number and its unit"
            )
    return None


#: words in a capacity unit that name the product, not a unit ("kt urea / yr")
_WORD = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")


def _capacity_unit(unit: str) -> str | None:
    """The unit of a facility capacity without its product words, times a year when it is
    a rate (``kt urea / yr`` -> ``(kt / yr) * yr``); None if nothing in it is a unit."""

    def known(word: str) -> bool:
        try:
            parse_unit(word)
        except UnitError:
            return False
        return True

    cleaned = _WORD.sub(lambda m: m.group(0) if known(m.group(0)) else "", unit)
    cleaned = re.sub(r"\s+", " ", cleaned).strip()
    if not _WORD.search(cleaned):
        return None
    try:
        q = parse_unit(cleaned)
    except UnitError:
        return None
    return f"({cleaned}) * yr" if q.dimensionality.get("[time]", 0) < 0 else cleaned


def capacity_out_of_range(value: float, unit: str) -> str | None:
    """Why a facility ``capacity`` in ``unit`` is implausible (None if it is plausible).

    A capacity is finite and >= 0, below ``activity_value``, and -- where its unit
    (product words such as ``urea`` left out, a rate taken over one year) has the
    dimension of an activity cap (energy, mass, volume...) -- below that cap: one
    facility cannot produce in a year more than ten times the world does."""
    if not math.isfinite(value):
        return f"{value} is not a finite number"
    if value < 0:
        return f"{value:g} is negative; a capacity must be >= 0"
    per_year = _capacity_unit(unit)
    if per_year is None:
        cap = plausible_range("activity_value")[1]
        return None if value <= cap else f"{value:g} is above the plausible maximum {cap:g}"
    return activity_out_of_range(value, per_year)


def check_capacity(text: str, unit: str, *, file, row: int) -> None:
    """A facility's ``capacity`` cell: empty, or a plausible number with its unit.

    Raises
    ------
    openmrv.errors.CaseError
        Naming the file, line and field: not a number, no ``capacity_unit``, or
        implausible (:func:`capacity_out_of_range`).
    """
    if not text:
        return
    try:
        value = float(text)
    except ValueError:
        raise CaseError(
            f"capacity '{excerpt(text)}' is not a number", file=file, row=row, field="capacity"
        ) from None
    if not unit:
        raise CaseError(
            "a capacity needs its capacity_unit (e.g. 'kt urea / yr')",
            file=file,
            row=row,
            field="capacity_unit",
        )
    why = capacity_out_of_range(value, unit)
    if why is not None:
        raise CaseError(f"capacity {why}", file=file, row=row, field="capacity")


def factor_out_of_range(factor, defaults) -> str | None:
    """Why a country-specific factor row is implausible against the IPCC defaults of the
    same parameter (None if it is plausible, or there is nothing to compare with).

    ``factor``: a :class:`openmrv.factors.Factor`; ``defaults``: the library's Tier 1
    rows. The defaults compared are those of the same parameter and gas, of the same
    activity and key (or none), whose category covers the factor's or is covered by it;
    their 95 % bounds (``low``..``high``, else the value), converted to the factor's
    unit, span the IPCC range. A
    factor more than ``factor_ratio_to_ipcc_range`` times above it, or that many times
    below it, is refused: a unit mistake (kg for t, t for Gg) rather than a national
    circumstance. IPCC 2006 Vol 1 Ch 6, 6.10.1, asks that country-specific factors be
    compared with the defaults and differences explained; the ratio is in the table."""
    upct = factor.uncertainty_pct
    if upct is not None:
        why = out_of_range(upct, "uncertainty_pct")
        if why is not None:
            return f"uncertainty_pct {why}"
    if factor.value <= 0:
        return None
    own = parse_unit(factor.unit)
    lo_ref, hi_ref, used = math.inf, -math.inf, []
    for d in defaults:
        if (d.parameter, d.gas) != (factor.parameter, factor.gas):
            continue
        if any(x and y and x != y for x, y in ((d.activity, factor.activity), (d.key, factor.key))):
            continue  # as in FactorLibrary.candidates: an empty activity or key covers all
        a, b = d.category, factor.category
        if not (a in ("*", b) or b == "*" or b.startswith(a + ".") or a.startswith(b + ".")):
            continue
        ref = parse_unit(d.unit)
        if ref.dimensionality != own.dimensionality:
            continue
        k = float((ref / own).to("dimensionless").magnitude)
        bounds = [v for v in (d.low, d.value, d.high) if v is not None]
        lo_ref, hi_ref = min(lo_ref, min(bounds) * k), max(hi_ref, max(bounds) * k)
        used.append(d.id)
    if not used:
        return None
    ratio = plausible_range("factor_ratio_to_ipcc_range")[1]
    shown = ", ".join(used[:3]) + (f" and {len(used) - 3} more" if len(used) > 3 else "")
    where = f"the IPCC default range {lo_ref:g} to {hi_ref:g} {factor.unit} ({shown})"
    if hi_ref > 0 and factor.value > hi_ref * ratio:
        return (
            f"value {factor.value:g} {factor.unit} is more than {ratio:g} times above {where}; "
            "check the number and its unit (factor_ratio_to_ipcc_range in "
            f"{PLAUSIBLE_RANGES.name})"
        )
    if lo_ref > 0 and factor.value < lo_ref / ratio:
        return (
            f"value {factor.value:g} {factor.unit} is more than {ratio:g} times below {where}; "
            "check the number and its unit (factor_ratio_to_ipcc_range in "
            f"{PLAUSIBLE_RANGES.name})"
        )
    return None


#: the factor parameters that are shares or fractions (each with its IPCC definition)
SHARE_PARAMETERS = DATA / "share_parameters.csv"


@lru_cache(maxsize=1)
def share_parameters() -> frozenset[str]:
    """Factor parameters that are shares or fractions, held to [0, 1]."""
    return frozenset(r["parameter"] for r in _rows(SHARE_PARAMETERS))


@lru_cache(maxsize=256)
def _share_scale(unit: str) -> float:
    """What one ``unit`` is as a plain fraction (1 for '1' or 't / t', 0.01 for percent)."""
    q = parse_unit(unit)
    if not q.dimensionality:
        return float(q.to("dimensionless").magnitude)
    return float(q.to_base_units().magnitude)  # e.g. 't C / t': a carbon mass fraction


def share_out_of_range(parameter: str, value: float | None, unit: str) -> str | None:
    """Why ``value`` (in ``unit``) is impossible for ``parameter`` when that is a share or
    fraction (``data/share_parameters.csv``); None if it is in [0, 1] or not a share."""
    if value is None or parameter not in share_parameters():
        return None
    if not math.isfinite(value):
        return f"{value} is not a finite number"
    x = value * _share_scale(unit)
    if not 0.0 <= x <= 1.0:
        shown = f"{value:g} {unit}" + (f" (= {x:g})" if unit.strip() not in ("1", "") else "")
        return (
            f"{shown} is outside 0 to 1: {parameter} is a share (fraction) by definition "
            f"({SHARE_PARAMETERS.name}); check the number and its unit"
        )
    return None
