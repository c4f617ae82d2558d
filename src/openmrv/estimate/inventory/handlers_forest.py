"""Handler of forest land remaining forest land (3.B.1.a), Tier 1 gain-loss method for
living biomass (IPCC 2006 Vol 4 Ch 2 Eq. 2.7, 2.9-2.13; factors in
``ipcc2006_v4c4_forest_biomass``: CF Table 4.3, R Table 4.4, BCEF_R Table 4.5, G_W
Table 4.9). Dead organic matter and soil carbon of forest remaining forest are taken as
not changing (the Tier 1 assumption, Vol 4 Ch 4 Sect 4.2.2, 4.2.3).

Activity series under 3.B.1.a:

- ``forest_area`` [ha], key ``<ecological zone>:<age class>:<R stratum>``, e.g.
  ``temperate_continental:gt20:temperate_conifers_50_150``: the gain, a removal
  (Eq. 2.9, 2.10); G_W by zone, age class (``le20``, ``gt20``, ``all``) and the case's
  ``region`` qualifier;
- ``wood_removals`` and ``fuelwood_removals`` [m3], key
  ``<R stratum>:<BCEF forest type>:<growing stock class>``, e.g.
  ``temperate_conifers_50_150:temperate_pines:41_100``: the losses (Eq. 2.12, 2.13).

R strata and BCEF keys are those of the factor table (``openmrv factors`` lists them).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from openmrv.errors import CaseError
from openmrv.estimate.inventory import lulucf
from openmrv.estimate.inventory.estimates import (
    ActivityRatioOf,
    Estimate,
    Model,
    RatioOf,
    Series,
)
from openmrv.estimate.inventory.registry import Context, _as, _scale, _tier, handles
from openmrv.factors import Factor

CATEGORY = "3.B.1.a"


def _cf(ctx: Context, stratum: str) -> Factor:
    """Carbon fraction of the stratum's climate domain (Table 4.3)."""
    domain = (
        "tropical_subtropical"
        if stratum.startswith(("tropical", "subtropical"))
        else ("temperate_boreal")
    )
    return ctx.library.lookup("CF", CATEGORY, key=domain)


def _model(values: np.ndarray, series: Series, scale: list[Factor], r: Factor, r_v: float) -> Model:
    """E x prod(ratio(scale)) x (1 + R ratio(R)) / (1 + R) x activity ratio: R enters as 1 + R."""

    def model(ratio: RatioOf, a: ActivityRatioOf) -> np.ndarray:
        out = values[None, :] * a(series) * (1.0 + r_v * ratio(r)) / (1.0 + r_v)
        for f in scale:
            out = out * ratio(f)
        return out

    return model


def _check(series: Series, parts: int, form: str) -> list[str]:
    where = series.refs[0].rsplit(":", 1)[0]
    if series.category != CATEGORY:
        raise CaseError(
            f"{series.activity} has a method under {CATEGORY} (forest land remaining forest "
            f"land), not {series.category}",
            file=where,
            field="category",
        )
    keys = series.key.split(":")
    if len(keys) != parts or not all(keys):
        raise CaseError(
            f"key '{series.key}' of {series.activity}: give '{form}' (docs/data-format.md)",
            file=where,
            field="key",
        )
    return keys


@handles("forest_area")
def _forest_gain(series: Series, ctx: Context) -> Iterator[Estimate]:
    """3.B.1.a gain: CO2 = -A x G_W x (1 + R) x CF x 44/12 (Eq. 2.7, 2.9, 2.10)."""
    zone, age, stratum = _check(series, 3, "<ecological zone>:<age class>:<R stratum>")
    g_w = ctx.library.lookup("G_W", CATEGORY, activity="forest_area", key=f"{zone}:{age}")
    r = ctx.library.lookup("R_root_shoot", CATEGORY, key=stratum)
    cf = _cf(ctx, stratum)
    c2co2 = ctx.find("C_to_CO2", "*")
    gain = lulucf.biomass_carbon_gain(
        series.values * _scale(series.unit, (), "ha"),
        _as(g_w, "t / ha / yr"),
        _as(r, "dimensionless"),
        _as(cf, "t C / t"),
    )
    co2 = lulucf.co2_from_carbon_change(gain, _as(c2co2, "t CO2 / (t C)")) * 1e-3
    used = [g_w, r, cf, c2co2]
    yield Estimate(
        CATEGORY,
        "CO2",
        co2,
        _tier(used),
        "forest land remaining: biomass growth (Tier 1 gain-loss)",
        "Vol 4 Ch 2 Eq. 2.7, 2.9, 2.10",
        used,
        series,
        model=_model(co2, series, [g_w, cf], r, _as(r, "dimensionless")),
    )


@handles("wood_removals", "fuelwood_removals")
def _forest_loss(series: Series, ctx: Context) -> Iterator[Estimate]:
    """3.B.1.a loss: CO2 = H x BCEF_R x (1 + R) x CF x 44/12 (Eq. 2.7, 2.11-2.13)."""
    stratum, ftype, stock = _check(
        series, 3, "<R stratum>:<BCEF forest type>:<growing stock class>"
    )
    bcef = ctx.library.lookup("BCEF_R", CATEGORY, key=f"{ftype}:{stock}")
    r = ctx.library.lookup("R_root_shoot", CATEGORY, key=stratum)
    cf = _cf(ctx, stratum)
    c2co2 = ctx.find("C_to_CO2", "*")
    loss = lulucf.removal_carbon_loss(
        series.values * _scale(series.unit, (), "m**3"),
        _as(bcef, "t / m**3"),
        _as(r, "dimensionless"),
        _as(cf, "t C / t"),
    )
    co2 = lulucf.co2_from_carbon_change(-loss, _as(c2co2, "t CO2 / (t C)")) * 1e-3
    eq = "Eq. 2.12" if series.activity == "wood_removals" else "Eq. 2.13"
    used = [bcef, r, cf, c2co2]
    yield Estimate(
        CATEGORY,
        "CO2",
        co2,
        _tier(used),
        f"forest land remaining: {series.activity.replace('_', ' ')} (Tier 1 gain-loss)",
        f"Vol 4 Ch 2 Eq. 2.7, 2.11, {eq.removeprefix('Eq. ')}",
        used,
        series,
        model=_model(co2, series, [bcef, cf], r, _as(r, "dimensionless")),
    )
