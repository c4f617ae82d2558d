"""Units: one pint registry (openscm_units) shared by openmrv, with a few additions.

Substances (CO2, CH4, N2O, C, N, N2ON ...) come from ``openscm_units``. openmrv
adds the counting units that inventories need and that openscm_units lacks:

- ``head``: one animal (livestock populations),
- ``person``: one inhabitant (waste and wastewater),
- ``BOD`` and ``COD``: mass of biochemical / chemical oxygen demand,
- ``DM``: dry matter.

Each is its own dimension, so a factor per head can only be applied to a
population in heads. Definitions are added once, at first use, not at import.
"""

from __future__ import annotations

from functools import cache, lru_cache
from typing import Any

import pint
from openscm_units import unit_registry as _ureg

from openmrv.case_limits import check_unit_text
from openmrv.errors import UnitError

_EXTRA_DEFINITIONS = (
    "head = [head]",
    "person = [person]",
    "BOD = [BOD]",
    "COD = [COD]",
    "DM = [dry_matter]",
)


@cache
def registry() -> pint.UnitRegistry:
    """Return the shared unit registry with openmrv's additions defined."""
    for definition in _EXTRA_DEFINITIONS:
        name = definition.split("=")[0].strip()
        if name not in _ureg:
            _ureg.define(definition)
    return _ureg


def parse_unit(unit: Any, *, where: str = "", field: str = "unit") -> pint.Quantity:
    """Parse a unit string into a pint quantity of magnitude one (or the scale it names).

    Strings such as ``"1e9 m**3"`` carry a scale, which is kept in the magnitude.

    Parameters
    ----------
    unit
        The unit text, e.g. ``"kg CH4 / head / yr"`` or ``"Gg CH4 / (1e6 m**3)"``.
    where
        File (and line) to name in the error message.
    field
        Field to name in the error message.

    Raises
    ------
    UnitError
        If the text is empty or not a unit the registry knows.
    """
    if unit is None or (isinstance(unit, float) and unit != unit) or str(unit).strip() == "":
        raise UnitError(
            "the unit is missing; write one such as 'kt' or 'EJ'", file=where or None, field=field
        )
    text = str(unit).strip()
    check_unit_text(text, where=str(where or ""), field=field)  # no pint evaluation of 10**10**10
    try:
        return _parse(text)
    except UnitError as exc:
        raise UnitError(exc.message, file=where or None, field=field) from None


@lru_cache(maxsize=4096)
def _parse(text: str) -> pint.Quantity:
    """``text`` parsed by pint, once per distinct string (a million-row CSV names a few
    units; parsing each row's took 90 % of reading it, issue 20 item 10). Callers get a
    shared quantity: pint's arithmetic returns new ones, so it is never changed in place."""
    ureg = registry()
    try:
        q = ureg(text)
    except (
        pint.errors.UndefinedUnitError,
        pint.errors.DefinitionSyntaxError,
        SyntaxError,
        TypeError,
        ValueError,
        AttributeError,
        AssertionError,
        IndexError,
        ZeroDivisionError,
        OverflowError,
    ) as exc:
        # pint's parser raises several types (an AssertionError for "kg /")
        raise UnitError(
            f"'{text}' is not a unit openmrv knows ({exc}); use pint syntax with "
            "parenthesised denominators, e.g. 'Gg CH4 / (1e6 m**3)' or 'kg N2ON / (kg N)'"
        ) from None
    if not isinstance(q, pint.Quantity):  # a bare number such as "1000"
        q = ureg.Quantity(float(q), "dimensionless")
    return q


def conversion_factor(
    from_unit: str,
    to_unit: str,
    *,
    where: str = "",
    field: str = "unit",
    context: str | None = None,
) -> float:
    """Factor that converts values in ``from_unit`` to ``to_unit``.

    Raises
    ------
    UnitError
        If either unit is unknown or the dimensions differ.
    """
    src = parse_unit(from_unit, where=where, field=field)
    dst = parse_unit(to_unit, where=where, field=field)
    try:
        if context is None:
            return float((src / dst).to("dimensionless").magnitude)
        with registry().context(context):
            return float(src.to(dst.units).magnitude / dst.magnitude)
    except pint.errors.DimensionalityError:
        raise UnitError(
            f"'{from_unit}' cannot be converted to '{to_unit}' (dimension "
            f"{src.dimensionality} is not {dst.dimensionality})",
            file=where or None,
            field=field,
        ) from None


def same_dimension(a: str, b: str) -> bool:
    """Whether units ``a`` and ``b`` have the same dimension."""
    return parse_unit(a).dimensionality == parse_unit(b).dimensionality
