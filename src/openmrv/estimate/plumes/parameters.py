"""The plume methods' own parameters (detection, neighbour split, swath search, wind error,
Gaussian-fit validity), each with its source, in ``data/parameters.csv``.

Physical constants (g, molar masses, the Earth radius, standard pressure) are not here but
in :mod:`openmrv.constants`; both are read by :func:`openmrv.constants.table_value`. This
module imports nothing of the plume methods, so ``detect`` and ``quantify`` both use it
without importing each other.
"""

from __future__ import annotations

from pathlib import Path

from openmrv.constants import table_value

PARAMETERS = Path(__file__).parent / "data" / "parameters.csv"


def parameter(name: str, unit: str | None = None) -> float:
    """A plume-method parameter of ``data/parameters.csv`` (``unit``, if given, must be the
    table's)."""
    return table_value(PARAMETERS, name, unit)
