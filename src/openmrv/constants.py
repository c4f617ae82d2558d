"""Physical constants, once, with their sources; one reader for every cited parameter table.

The physical constants (standard gravity, molar masses, the gas constants, the Earth's
mean radius, standard pressure and temperature, the Julian year) live in one table,
``data/physical_constants.csv``: one row each with value, unit, source, edition, the
table or page of the source, uncertainty and a note. :func:`constant` reads it.

A method's own coefficients (plume U_eff calibrations, detection settings, transport
coefficients, the default boundary-layer depth) are method parameters, not physical
constants; they stay in their method's table next to the method and are read with the
same reader, :func:`table_value`.

Units are checked, not converted: ``unit`` must be the table's unit as written
(``constant("R_earth", "m")``), so a caller states the unit it computes in.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

from openmrv.errors import InputError, UnitError

DATA = Path(__file__).parent / "data"
PHYSICAL_CONSTANTS = DATA / "physical_constants.csv"
KEY_COLUMNS = ("name", "parameter")  # the column that names a row, in this order


@cache
def _rows(path: Path) -> tuple[dict[str, str], ...]:
    with path.open(newline="") as fh:
        return tuple(csv.DictReader(fh))


@cache
def _by_name(path: Path, key: str) -> dict[str, tuple[dict[str, str], ...]]:
    # the rows of each name in file order: a lookup is a dictionary read, not a scan
    out: dict[str, list[dict[str, str]]] = {}
    for r in _rows(path):
        out.setdefault(r[key], []).append(r)
    return {k: tuple(v) for k, v in out.items()}


def _key(path: Path, rows: tuple[dict[str, str], ...], key: str | None) -> str:
    columns = rows[0].keys() if rows else ()
    for k in (key,) if key is not None else KEY_COLUMNS:
        if k in columns:
            return k
    raise InputError(f"{path.name} has no column {key or KEY_COLUMNS}", file=str(path))


def table_row(
    path: str | Path, name: str, *, key: str | None = None, **match: str
) -> dict[str, str]:
    """The row of the cited table at ``path`` named ``name`` in its ``key`` column (None:
    ``name``, else ``parameter``), where each column in ``match`` has the given value.

    Raises ``KeyError`` (naming the known rows) when there is no such row, and
    ``InputError`` when there is more than one.
    """
    path = path if isinstance(path, Path) else Path(path)
    rows = _rows(path)
    key = _key(path, rows, key)
    hits = [
        r for r in _by_name(path, key).get(name, ()) if all(r.get(c) == v for c, v in match.items())
    ]
    if not hits:
        known = sorted({r[key] for r in rows})
        raise KeyError(f"no row '{name}' {match or ''} in {path.name}; known: {known}")
    if len(hits) > 1:
        raise InputError(f"{len(hits)} rows '{name}' {match or ''} in {path.name}", file=str(path))
    return hits[0]


def table_value(path: str | Path, name: str, unit: str | None = None, **match: str) -> float:
    """The value of row ``name`` of the cited table at ``path`` (see :func:`table_row`).

    ``unit``: the unit the caller computes in; it must be the table's unit as written,
    else ``UnitError``.
    """
    row = table_row(path, name, **match)
    if unit is not None and row.get("unit", "").strip() != unit.strip():
        raise UnitError(
            f"{name} in {Path(path).name} is in '{row.get('unit')}', not '{unit}'",
            file=str(path),
        )
    return float(row["value"])


def constant(name: str, unit: str | None = None) -> float:
    """A physical constant of ``data/physical_constants.csv`` (SI units; see the table).

    ``unit``, if given, must be the table's unit (``constant("g", "m / s**2")``).
    """
    return table_value(PHYSICAL_CONSTANTS, name, unit)


def constant_row(name: str) -> dict[str, str]:
    """The whole row of a physical constant: value, unit, source, edition, table, ..."""
    return dict(table_row(PHYSICAL_CONSTANTS, name))


def names() -> list[str]:
    """The names of the physical constants in the table."""
    return [r["name"] for r in _rows(PHYSICAL_CONSTANTS)]
