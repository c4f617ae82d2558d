"""Handler of refrigeration and air conditioning (2.F.1), Tier 1a: the emission-factor
approach of IPCC 2006 Vol 3 Ch 7 Sect 7.5 at application level, from the refrigerant
charged into new equipment each year, with the default ranges of Table 7.9 (factors in
``ipcc2006_v3c7_t7.9_refrigeration``).

Activity series ``refrigerant_charged_new`` [t, kg] under 2.F.1.a (refrigeration and
stationary air conditioning) or 2.F.1.b (mobile air conditioning), key
``<sub-application>:<gas>``, e.g. ``mobile_ac:HFC134a`` or ``chillers:HFC32``; a blend
(R-410A, R-404A ...) is given as its component HFCs (:data:`openmrv.gases.FGASES`).
Sub-applications (Table 7.9): ``domestic_refrigeration``, ``standalone_commercial``,
``medium_large_commercial``, ``transport_refrigeration``, ``industrial_refrigeration``,
``chillers``, ``residential_commercial_ac`` (2.F.1.a) and ``mobile_ac`` (2.F.1.b).

The bank is the charge of the equipment installed in the last d years (d the lifetime),
so the series needs history back to the first year minus d; years before it count as 0
and the estimate is then low (the method label says "history from <year>").
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from openmrv.errors import CaseError
from openmrv.estimate.inventory import fgases
from openmrv.estimate.inventory.estimates import ActivityRatioOf, Estimate, RatioOf, Series
from openmrv.estimate.inventory.registry import (
    HISTORY_YEARS,
    Context,
    _as,
    _fraction,
    _scale,
    _tier,
    handles,
)
from openmrv.gases import FGASES

HISTORY_YEARS[("2.F.1", "refrigerant_charged_new")] = (
    "the refrigerant bank of a year is the charge of equipment installed in the previous "
    "lifetime years (Vol 3 Ch 7 Eq. 7.13, Table 7.9 lifetimes of 6-30 years)"
)

#: the IPCC 2006 sub-category of each Table 7.9 sub-application
SUB_APPLICATIONS: dict[str, str] = {
    "domestic_refrigeration": "2.F.1.a",
    "standalone_commercial": "2.F.1.a",
    "medium_large_commercial": "2.F.1.a",
    "transport_refrigeration": "2.F.1.a",
    "industrial_refrigeration": "2.F.1.a",
    "chillers": "2.F.1.a",
    "residential_commercial_ac": "2.F.1.a",
    "mobile_ac": "2.F.1.b",
}


@handles("refrigerant_charged_new")
def _refrigeration(series: Series, ctx: Context) -> Iterator[Estimate]:
    """2.F.1: E = M_t k + B_t x + M_(t-d) p (1 - eta_rec) (Vol 3 Ch 7 Eq. 7.10, 7.12-7.14)."""
    where = series.refs[0].rsplit(":", 1)[0]
    app, _, gas = series.key.partition(":")
    want = SUB_APPLICATIONS.get(app)
    if want is None or gas not in FGASES:
        raise CaseError(
            f"key '{series.key}': give '<sub-application>:<gas>' with a sub-application of "
            f"{', '.join(SUB_APPLICATIONS)} and a gas of {', '.join(FGASES)} (blends as their "
            "component HFCs)",
            file=where,
            field="key",
        )
    if series.category != want:
        raise CaseError(
            f"{app} belongs under {want}, not {series.category} (2.F.1.a refrigeration and "
            "stationary air conditioning, 2.F.1.b mobile air conditioning)",
            file=where,
            field="category",
        )
    find = ctx.library.lookup
    act = "refrigerant_charged_new"
    life = find("lifetime", series.category, activity=act, key=app)
    k = find("EF_charge", series.category, activity=act, key=app)
    x = find("EF_lifetime", series.category, activity=act, key=app)
    p = find("EOL_remaining", series.category, activity=act, key=app)
    eta = find("eta_rec", series.category, activity=act, key=app)
    d = round(_as(life, "yr"))
    tonnes = series.values * _scale(series.unit, (), "t")
    bank = fgases.refrigerant_bank(tonnes, d)
    retired = fgases.retired_charge(tonnes, d)
    kv, xv, pv, ev = _fraction(k), _as(x, "1 / yr"), _fraction(p), _fraction(eta)
    t_per_yr = fgases.refrigeration_emissions(tonnes, bank, retired, kv, xv, pv, ev)
    gg = t_per_yr * 1e-3
    charge, life_term = tonnes * kv * 1e-3, bank * xv * 1e-3
    eol = retired * pv * (1.0 - ev) * 1e-3

    def model(r: RatioOf, a: ActivityRatioOf) -> np.ndarray:
        # activity scales all three terms (each is a sum of past charges); eta enters as
        # (1 - eta): its draw is taken about the central value
        lost = 1.0 - ev * r(eta)
        end = eol[None, :] * r(p) * (lost / (1.0 - ev) if ev < 1.0 else 0.0)
        return a(series) * (charge[None, :] * r(k) + life_term[None, :] * r(x) + end)

    first = int(series.years[0])
    need = ctx.settings.first_year - d
    history = "" if first <= need else f"; history from {first}, {d}-yr life: bank low"
    used = [life, k, x, p, eta]
    yield Estimate(
        series.category,
        gas,
        gg,
        _tier(used),
        f"refrigeration and AC, {app} (Tier 1a{history})",
        "Vol 3 Ch 7 Eq. 7.10, 7.12-7.14, Table 7.9",
        used,
        series,
        model=model,
    )
