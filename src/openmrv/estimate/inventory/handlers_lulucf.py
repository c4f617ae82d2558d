"""Handler of mineral-soil carbon on cropland remaining cropland (3.B.2.a) and grassland
remaining grassland (3.B.3.a), Tier 1 (IPCC 2006 Vol 4 Ch 2 Eq. 2.25; factors in
``ipcc2019r_v4c2_t2.3_soc_ref``, ``ipcc2019r_v4c5_t5.5_cropland_soc`` and
``ipcc2019r_v4c6_t6.2_grassland_soc``, chosen by the case's ``climate`` qualifier, a 2019R
zone such as ``warm_temperate_dry``).

Activity series ``land_area`` [ha], one per stratum, keyed

- under 3.B.2.a: ``<soil>:<system>:<tillage>:<input>``, e.g. ``HAC:annual:full_till:medium``
  (systems ``annual``, ``paddy_rice``, ``set_aside``, ``perennial``, ``vineyard``,
  ``orchard``, ``olive``, ``agroforestry``; tillage ``full_till``, ``reduced_till``,
  ``no_till``; input ``low``, ``medium``, ``high_no_manure``, ``high_with_manure``);
- under 3.B.3.a: ``<soil>:<management>`` (``nominally_managed``, ``moderately_degraded``,
  ``severely_degraded``) or ``<soil>:improved:<input>`` (``medium``, ``high``);

soils ``HAC``, ``LAC``, ``sandy``, ``spodic``, ``volcanic``, ``wetland`` (Table 2.3). The
stock of each stratum is SOC_REF x F_LU x F_MG x F_I x A; the change of a year is the
stock then minus the stock D = 20 years before, over D, so the areas are needed from the
case's first year minus D. A gain is a removal: CO2 = -dC x 44/12, a negative emission.
Biomass and dead organic matter are taken as not changing (Tier 1 for land remaining in
its use); organic soils are not covered.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from openmrv.errors import CaseError
from openmrv.estimate.inventory import lulucf
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
from openmrv.factors import Factor

for _cat in ("3.B.2.a", "3.B.3.a"):
    HISTORY_YEARS[(_cat, "land_area")] = (
        "soil carbon change compares the stock of a year with the stock D = 20 years "
        "before (Vol 4 Ch 2 Eq. 2.25)"
    )

#: land remaining in its use with a method here: category -> (what, key parts)
LAND: dict[str, tuple[str, str]] = {
    "3.B.2.a": ("cropland remaining cropland", "<soil>:<system>:<tillage>:<input>"),
    "3.B.3.a": ("grassland remaining grassland", "<soil>:<management>[:<input>]"),
}


def _factors(series: Series, ctx: Context) -> list[Factor]:
    """SOC_REF, F_LU, F_MG and (where it applies) F_I of the series' stratum."""
    cat, where = series.category, series.refs[0].rsplit(":", 1)[0]
    parts = series.key.split(":")
    what, form = LAND[cat]
    find, act = ctx.library.lookup, "land_area"
    if cat == "3.B.2.a" and len(parts) == 4:
        soil, system, tillage, inputs = parts
        keys = [("F_LU", system), ("F_MG", tillage), ("F_I", inputs)]
    elif cat == "3.B.3.a" and (
        (len(parts) == 2 and parts[1] != "improved") or (len(parts) == 3 and parts[1] == "improved")
    ):
        soil, management = parts[0], parts[1]
        keys = [("F_LU", "grassland"), ("F_MG", management)]
        if len(parts) == 3:
            keys.append(("F_I", parts[2]))
    else:
        raise CaseError(
            f"key '{series.key}' of {what}: give '{form}' (docs/data-format.md)",
            file=where,
            field="key",
        )
    soc_ref = find("SOC_REF", cat, activity=act, key=soil)
    return [soc_ref, *(find(p, cat, activity=act, key=k) for p, k in keys)]


@handles("land_area")
def _land(series: Series, ctx: Context) -> Iterator[Estimate]:
    """3.B.2.a / 3.B.3.a: CO2 = -(SOC_t - SOC_(t-D)) / D x 44/12 (Vol 4 Ch 2 Eq. 2.25)."""
    cat, where = series.category, series.refs[0].rsplit(":", 1)[0]
    if cat not in LAND:
        raise CaseError(
            f"land_area has a method under {', '.join(LAND)} (land remaining in its use), "
            f"not {cat}",
            file=where,
            field="category",
        )
    used = _factors(series, ctx)
    soc_ref, *factors = used
    d_f = ctx.find("D_soc", cat, activity="land_area")
    c2co2 = ctx.find("C_to_CO2", "*")
    d = round(_as(d_f, "yr"))
    area = series.values * _scale(series.unit, (), "ha")
    years = series.years
    reported = np.flatnonzero(years >= ctx.settings.first_year)
    bad = [int(years[i]) for i in reported if i < d or not np.isfinite(area[i - d])]
    if bad:
        raise CaseError(
            f"{series.label}: soil carbon change needs the area {d} years before each "
            f"inventory year (Eq. 2.25); none for {bad[0] - d}: give land_area from "
            f"{ctx.settings.first_year - d}",
            file=where,
            field="year",
        )
    f_v = [_fraction(f) for f in factors]
    stock = lulucf.soc_stock(area, _as(soc_ref, "t C / ha"), *f_v)
    change = lulucf.soc_change(stock, d)
    co2_t = lulucf.co2_from_carbon_change(change, _as(c2co2, "t CO2 / (t C)"))
    gg = np.where(years >= ctx.settings.first_year, co2_t * 1e-3, 0.0)  # history: not reported
    per_ha = -float(np.prod(f_v)) * _as(soc_ref, "t C / ha") / d * _as(c2co2, "t CO2 / (t C)")
    per_ha *= 1e-3
    cols = reported

    def model(r: RatioOf, a: ActivityRatioOf) -> np.ndarray:
        drawn = a(series) * area[None, :]
        out = np.zeros_like(drawn)
        out[:, cols] = (drawn[:, cols] - drawn[:, cols - d]) * per_ha
        for f in (soc_ref, *factors):
            out = out * r(f)
        return out

    what = LAND[cat][0]
    yield Estimate(
        cat,
        "CO2",
        gg,
        _tier([*used, d_f]),
        f"{what}: mineral soil carbon (Tier 1; biomass and DOM unchanged)",
        "Vol 4 Ch 2 Eq. 2.25",
        [*used, d_f, c2co2],
        series,
        model=model,
    )
