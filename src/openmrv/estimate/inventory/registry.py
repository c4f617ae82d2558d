"""The handler registry and what handlers share.

Each activity series (category, activity, key) is handed to the handler registered
for its activity name in :data:`HANDLERS`; a handler looks up its factors in the
:class:`~openmrv.factors.FactorLibrary` through its :class:`Context`, converts units
with pint and calls the pure method functions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache

import numpy as np

from openmrv.errors import FactorError, UnitError
from openmrv.estimate.inventory.estimates import (
    STOICHIOMETRIC,
    ActivityRatioOf,
    Estimate,
    Model,
    RatioOf,
    Series,
)
from openmrv.factors import Factor, FactorLibrary
from openmrv.settings import InventorySettings
from openmrv.units import parse_unit, registry

Handler = Callable[[Series, "Context"], Iterator[Estimate]]
HANDLERS: dict[str, Handler] = {}
#: Activities carried into the report but consumed by another handler or without a
#: method of their own (their categories carry notation keys).
INFORMATIONAL: dict[str, str] = {
    "urea_production": "used by the ammonia method to subtract CO2 recovered (Vol 3 Eq. 3.3)",
    "polyethylene_production": "polymerisation has no IPCC 2.B.8 method; upstream ethylene "
    "is estimated",
    "gasoline_production": "product of the methanol-to-gasoline step; methanol is estimated",
    "apparent_consumption": "reference approach (Vol 2 Ch 6), a cross-check only",
    "feedstock_use": "carbon excluded in the reference approach",
}

#: Series whose method needs years before the case's first year, by (category prefix,
#: activity) -> why; declared by the handler that needs them (first-order decay). Rows of
#: any other series outside the case's years are an error (``build_series``).
HISTORY_YEARS: dict[tuple[str, str], str] = {}


def needs_history(category: str, activity: str) -> bool:
    """Whether the method of a (category, activity) series declares history years."""
    return any(
        activity == act and (category == pre or category.startswith(pre + "."))
        for pre, act in HISTORY_YEARS
    )


def handles(*activities: str) -> Callable[[Handler], Handler]:
    """Register a handler for the named activities."""

    def deco(fn: Handler) -> Handler:
        for a in activities:
            HANDLERS[a] = fn
        return fn

    return deco


@dataclass
class Context:
    """What handlers may consult: the library, the inventory settings, and sibling series."""

    library: FactorLibrary
    settings: InventorySettings
    series: dict[tuple[str, str, str], Series]

    @property
    def find(self) -> Callable[..., Factor]:
        """The library's lookup (see :meth:`FactorLibrary.lookup`)."""
        return self.library.lookup

    def siblings(self, category: str, activity: str) -> list[Series]:
        return [s for (c, a, _), s in self.series.items() if c == category and a == activity]


@cache
def _scale(
    activity_unit: str, factor_units: tuple[str, ...], target: str, annual: bool = True
) -> float:
    """Factor turning activity x factors (in their units) into ``target``.

    With ``annual`` a result per year (``kg / yr``) also matches a mass target: activity
    rows are annual totals.
    """
    q = parse_unit(activity_unit)
    for u in factor_units:
        q = q * parse_unit(u)
    ureg = registry()
    want = parse_unit(target)
    for candidate in (q, q * ureg.Quantity(1, "yr")) if annual else (q,):
        try:
            return float((candidate / want).to("dimensionless").magnitude)
        except Exception:
            continue
    raise UnitError(
        f"activity in '{activity_unit}' times factor(s) in {list(factor_units)} gives "
        f"{q.units}, not {target}; give the activity in a unit of the factor's basis",
        field="unit",
    )


def _tier(factors: list[Factor]) -> int:
    """Tier of an estimate: 2 if any non-stoichiometric factor is country-specific."""
    return max((f.tier for f in factors if f.parameter not in STOICHIOMETRIC), default=1)


def _product(
    series: Series,
    ctx: Context,
    gas: str,
    method: str,
    equation: str,
    *,
    parameter: str = "EF",
    category: str | None = None,
    key: str | None = None,
    fn: Callable[[np.ndarray, np.ndarray], np.ndarray] = np.multiply,
) -> Estimate:
    """E = A x EF with the factor looked up for each year (Tier 2 rows may be yearly)."""
    cat = category or series.category
    factors = ctx.library.lookup_years(
        parameter,
        cat,
        series.years,
        activity=series.activity,
        key=series.key if key is None else key,
        gas=gas,
    )
    values = np.empty_like(series.values)
    for unit in {f.unit for f in factors}:
        try:
            scale = _scale(series.unit, (unit,), f"Gg {gas}")
        except UnitError as exc:
            raise UnitError(
                f"{series.label}: {exc.message} (factor {factors[0].id})",
                file=series.refs[0].rsplit(":", 1)[0],
                field="unit",
            ) from None
        sel = np.array([f.unit == unit for f in factors])
        ef = np.array([f.value for f in factors])
        values[sel] = fn(series.values[sel], ef[sel]) * scale
    tiers = np.array([_tier([f]) for f in factors])
    per_year = [(f,) for f in factors] if len(set(factors)) > 1 else None
    return Estimate(cat, gas, values, tiers, method, equation, factors, series, per_year)


def _mixture_model(
    base: np.ndarray,
    series: Series,
    scalars: list[Factor],
    weights: np.ndarray,
    rows: list[tuple[Factor, ...]],
) -> Model:
    """Monte Carlo model of E = base · activity · Π scalars · Σ_j w_j Π_k ratio(rows[j][k]),
    normalised so that unperturbed inputs give back the estimate (base · Σ_j w_j). Used where
    shares of pathways or systems each carry their own factor (wastewater, manure)."""

    def model(r: RatioOf, a: ActivityRatioOf) -> np.ndarray:
        mix = sum(
            w * np.prod([r(f) for f in fs], axis=0) for w, fs in zip(weights, rows, strict=True)
        )
        out = base[None, :] * a(series) * mix
        for f in scalars:
            out = out * r(f)
        return out

    return model


def _as(f: Factor, unit: str) -> float:
    """The factor's value expressed in ``unit`` (a clear error if the dimension differs)."""
    try:
        return f.value * _scale("1", (f.unit,), unit, annual=False)
    except UnitError:
        raise FactorError(
            f"factor {f.id} ({f.parameter}) is in '{f.unit}', which cannot be expressed in "
            f"'{unit}' as the equation needs",
            field="unit",
        ) from None


def _fraction(f: Factor) -> float:
    """A dimensionless factor (fraction, percent) as a plain fraction."""
    return _as(f, "dimensionless")


def _keys(ctx: Context, parameter: str, category: str) -> list[str]:
    """Keys with a row for ``parameter`` that apply to ``category`` under the case's qualifiers."""
    return sorted(
        {f.key for _, f in ctx.library.candidates(parameter, category, key="")}
        | {
            f.key
            for f in ctx.library.factors
            if f.parameter == parameter
            and f.key
            and ctx.library.candidates(parameter, category, key=f.key)
        }
    )
