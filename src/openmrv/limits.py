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
from functools import lru_cache

from openmrv.constants import DATA, _rows, table_row
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
