"""The inventory engine: activity data x factor library -> emissions dataset.

Each activity series (category, activity, key) is handed to the handler registered
for its activity name in :data:`HANDLERS`; a handler looks up its factors in the
:class:`~openmrv.factors.FactorLibrary`, converts units with pint and calls the
pure method functions. Every estimate records its tier, equation and the ids of
the factor rows and activity rows it used, so each number can be traced.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from openmrv.errors import CaseError
from openmrv.estimate.inventory import (
    handlers_agriculture,
    handlers_energy,
    handlers_fgas,
    handlers_forest,
    handlers_industry,
    handlers_lulucf,
    handlers_manure,
    handlers_rice,
    handlers_waste,
)
from openmrv.estimate.inventory.dataset import reference_approach, to_dataset
from openmrv.estimate.inventory.estimates import (
    STOICHIOMETRIC,
    Estimate,
    InventoryResult,
    Series,
)
from openmrv.estimate.inventory.registry import (
    HANDLERS,
    INFORMATIONAL,
    Context,
)
from openmrv.estimate.inventory.series import build_series
from openmrv.factors import FactorLibrary
from openmrv.settings import InventorySettings

#: the handler modules register themselves in HANDLERS when imported
SECTORS = (
    handlers_energy,
    handlers_agriculture,
    handlers_waste,
    handlers_industry,
    handlers_rice,
    handlers_manure,
    handlers_fgas,
    handlers_lulucf,
    handlers_forest,
)
__all__ = [
    "HANDLERS",
    "INFORMATIONAL",
    "STOICHIOMETRIC",
    "Context",
    "Estimate",
    "InventoryResult",
    "Series",
    "build_series",
    "compile_inventory",
    "reference_approach",
    "run_series",
    "to_dataset",
]


def run_series(series: Series, ctx: Context) -> list[Estimate]:
    """All estimates from one series (empty for informational activities).

    Under 1.B.2 any activity basis that the factor library's fugitive tables use
    (gas production, raw gas feed, wells drilled, oil transported ...) is accepted.
    """
    if series.activity in INFORMATIONAL:
        return []
    handler = HANDLERS.get(series.activity)
    if handler is None and series.category.startswith("1.B.2"):
        bases = sorted(
            {
                f.activity
                for f in ctx.library.factors
                if f.category.startswith("1.B.2") and f.activity
            }
        )
        if series.activity in bases:
            handler = handlers_energy.FUGITIVE
        else:
            raise CaseError(
                f"no fugitive factor uses the activity '{series.activity}'; activities with "
                f"1.B.2 factors: {', '.join(bases)}",
                file=series.refs[0].rsplit(":", 1)[0],
                field="activity",
            )
    if handler is None:
        known = sorted([*HANDLERS, *INFORMATIONAL])
        raise CaseError(
            f"unknown activity '{series.activity}'; known: {', '.join(known)}",
            file=series.refs[0].rsplit(":", 1)[0],
            field="activity",
        )
    return list(handler(series, ctx))


def compile_inventory(
    settings: InventorySettings,
    activity: pd.DataFrame,
    notation: pd.DataFrame,
    library: FactorLibrary,
    progress: Callable[[str], None] | None = None,
) -> InventoryResult:
    """Estimate every category of a case.

    Parameters
    ----------
    settings
        The case's inventory settings (``Case.inventory_settings``; anything with the same
        attributes, such as the ``Case`` itself, works too).
    activity
        Activity rows from :func:`openmrv.case.read_activity`.
    notation
        Notation keys from :func:`openmrv.notation.read_notation_keys`.
    library
        The factor library (defaults plus the case's country-specific tables).
    progress
        Called with each series' label as it is computed.

    Returns
    -------
    InventoryResult
    """
    series, gaps = build_series(activity, settings)
    ctx = Context(library, settings, series)
    estimates: list[Estimate] = []
    informational = []
    for s in series.values():
        if progress is not None:
            progress(s.label)
        if s.activity in INFORMATIONAL:
            informational.append(s)
            continue
        estimates.extend(run_series(s, ctx))
    ds = to_dataset(estimates, notation, settings)
    ref = reference_approach(series, estimates, ctx)
    return InventoryResult(ds, estimates, ref, gaps, informational)
