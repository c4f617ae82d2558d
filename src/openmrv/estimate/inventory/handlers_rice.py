"""Handler of rice cultivation (3.C.7), Tier 1 (IPCC 2006 Vol 4 Ch 5 Sect 5.5; factors in
``ipcc2006_v4c5_t5.11_t5.13_rice``).

Activity series under 3.C.7, one pair per set of conditions, keyed
``<water regime during cultivation>:<water regime before cultivation>``:

- ``area_harvested`` [ha]: harvested area (a field cropped twice counts twice);
- ``rice_cultivation_period`` [day]: the season's length for the same key (country data:
  the Guidelines give no default).

Water regimes during cultivation (Table 5.12): ``continuously_flooded``,
``intermittent_single_aeration``, ``intermittent_multiple_aeration``, ``rainfed_regular``,
``rainfed_drought_prone``, ``deep_water``, ``upland``; before it (Table 5.13):
``non_flooded_lt180``, ``non_flooded_gt180``, ``flooded_gt30``. Organic amendments and
soil type are not modelled (SF_o = SF_s,r = 1: the method label says so).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from openmrv.errors import CaseError
from openmrv.estimate.inventory import agriculture
from openmrv.estimate.inventory.estimates import ActivityRatioOf, Estimate, RatioOf, Series
from openmrv.estimate.inventory.registry import (
    INFORMATIONAL,
    Context,
    _as,
    _fraction,
    _scale,
    _tier,
    handles,
)

INFORMATIONAL["rice_cultivation_period"] = (
    "days of the rice season, used by the rice method (Vol 4 Ch 5 Eq. 5.1)"
)


@handles("area_harvested")
def _rice(series: Series, ctx: Context) -> Iterator[Estimate]:
    """3.C.7: CH4 = EF_c x SF_w x SF_p x t x A (Vol 4 Ch 5 Eq. 5.1, 5.2)."""
    cat, where = series.category, series.refs[0].rsplit(":", 1)[0]
    if not cat.startswith("3.C.7"):
        raise CaseError(
            f"area_harvested is the activity of rice cultivation (3.C.7), not {cat}; "
            "other crops' areas have no emission method here",
            file=where,
            field="category",
        )
    during, _, before = series.key.partition(":")
    if not during or not before:
        raise CaseError(
            f"key '{series.key}': give '<water regime during>:<before cultivation>', "
            "e.g. continuously_flooded:non_flooded_lt180 (Vol 4 Tables 5.12, 5.13)",
            file=where,
            field="key",
        )
    days = [s for s in ctx.siblings(cat, "rice_cultivation_period") if s.key == series.key]
    if not days:
        raise CaseError(
            f"no rice_cultivation_period series for {cat} key {series.key}: add the season's "
            "length in days (the Guidelines give no default)",
            file=where,
            field="activity",
        )
    (season,) = days
    efc = ctx.find("EF_c", cat, activity="area_harvested", gas="CH4")
    sfw = ctx.find("SF_w", cat, activity="area_harvested", key=during)
    sfp = ctx.find("SF_p", cat, activity="area_harvested", key=before)
    kg = agriculture.rice_ch4(
        series.values * _scale(series.unit, (), "ha"),
        season.values * _scale(season.unit, (), "day"),
        _as(efc, "kg CH4 / ha / day"),
        _fraction(sfw),
        _fraction(sfp),
    )
    gg = kg * 1e-6

    def model(r: RatioOf, a: ActivityRatioOf) -> np.ndarray:
        return gg[None, :] * a(series) * a(season) * r(efc) * r(sfw) * r(sfp)

    yield Estimate(
        cat,
        "CH4",
        gg,
        _tier([efc, sfw, sfp]),
        "rice (Tier 1; no organic amendments, SF_o = 1)",
        "Vol 4 Ch 5 Eq. 5.1, 5.2",
        [efc, sfw, sfp],
        series,
        model=model,
    )
