"""CO2-equivalents through a named set of global warming potentials.

Values come only from the ``globalwarmingpotentials`` package (IPCC assessment
reports as compiled by its authors). There is no implicit default inside the
functions: callers name the set. openmrv's case default is ``AR5GWP100``, the
metric the Enhanced Transparency Framework requires (decision 18/CMA.1, annex,
para. 37); Turkmenistan's earlier national communications used ``SARGWP100``.
"""

from __future__ import annotations

from functools import cache
from typing import Literal

import globalwarmingpotentials as _gwps

from openmrv.errors import InputError

GWPSet = Literal["SARGWP100", "AR4GWP100", "AR5GWP100", "AR6GWP100"]
#: The sets openmrv accepts for reporting (100-year GWPs of the assessment reports).
GWP_SETS: tuple[str, ...] = ("SARGWP100", "AR4GWP100", "AR5GWP100", "AR6GWP100")
#: The ETF's metric, used when a case names none.
ETF_DEFAULT: GWPSet = "AR5GWP100"


def check_gwp_set(name: str) -> str:
    """Return ``name`` if it is a known GWP set, else raise a clear error."""
    if name not in GWP_SETS:
        raise InputError(
            f"unknown GWP set '{name}'; choose one of {', '.join(GWP_SETS)} "
            f"(the ETF requires {ETF_DEFAULT})",
            field="gwp",
        )
    return name


@cache
def _table() -> dict[str, dict[str, float]]:
    return {k: dict(v) for k, v in _gwps.data.items()}


def gwp(entity: str, gwp_set: str) -> float:
    """Global warming potential of ``entity`` in ``gwp_set`` [kg CO2 / kg entity].

    CO2 has a GWP of 1 by definition.

    Raises
    ------
    InputError
        If the set is unknown or does not list the entity.
    """
    check_gwp_set(gwp_set)
    if entity == "CO2":
        return 1.0
    values = _table()[gwp_set]
    if entity not in values:
        raise InputError(f"GWP set {gwp_set} has no value for '{entity}'", field="entity")
    return float(values[entity])


def gwp_version() -> str:
    """Version of the globalwarmingpotentials package the values come from."""
    from importlib.metadata import version

    return version("globalwarmingpotentials")
