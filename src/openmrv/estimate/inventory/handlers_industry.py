"""Handlers of coal mining (1.B.1.a) and of lime (2.A.2), nitric acid (2.B.2) and iron and
steel (2.C.1), Tier 1 (IPCC 2006 factor tables ``ipcc2006_v2c4_s4.1_coal_mining``,
``ipcc2006_v3c2_t2.4_lime``, ``ipcc2006_v3c3_t3.3_nitric_acid``,
``ipcc2006_v3c4_t4.1_iron_steel``).

Activity series (``activity/*.csv``):

- ``coal_production`` under 1.B.1.a.i (underground) or 1.B.1.a.ii (surface) [t, Mt]:
  mining CH4 in ``<category>.1`` and post-mining CH4 in ``<category>.2``;
- ``lime_production`` under 2.A.2, key the lime type (``high_calcium``, ``dolomitic``,
  ``hydraulic`` or ``unspecified``) [t];
- ``nitric_acid_production`` under 2.B.2, key the plant type (``nscr``,
  ``process_integrated_or_tailgas_destruction``, ``atmospheric_pressure``,
  ``medium_pressure``, ``high_pressure``) [t, 100 % acid];
- ``steel_production`` (key ``bof``, ``eaf``, ``ohf`` or ``unspecified``),
  ``pig_iron_production`` (key ``not_converted``), ``dri_production``,
  ``sinter_production`` (CO2 and CH4) and ``pellet_production`` under 2.C.1 [t].
"""

from __future__ import annotations

from collections.abc import Iterator

from openmrv.errors import CaseError
from openmrv.estimate.inventory import fugitive, ippu
from openmrv.estimate.inventory.estimates import Estimate, Series
from openmrv.estimate.inventory.registry import (
    Context,
    _as,
    _product,
    _scale,
    _tier,
    handles,
)

#: 1.B.1.a sub-categories with a coal-mining method: the mine type's two stages
COAL_MINES = {"1.B.1.a.i": "underground", "1.B.1.a.ii": "surface"}


@handles("coal_production")
def _coal(series: Series, ctx: Context) -> Iterator[Estimate]:
    """1.B.1.a: CH4 = P x EF x 0.67 kg/m3, mining and post-mining (Vol 2 Ch 4 Tier 1)."""
    mine = COAL_MINES.get(series.category)
    if mine is None:
        raise CaseError(
            f"coal_production belongs under 1.B.1.a.i (underground) or 1.B.1.a.ii "
            f"(surface), not {series.category}",
            file=series.refs[0].rsplit(":", 1)[0],
            field="category",
        )
    rho = ctx.find("rho_CH4", series.category, activity="coal_production", gas="CH4")
    tonnes = series.values * _scale(series.unit, (), "t")
    section = "4.1.3.2" if mine == "underground" else "4.1.4.2"
    for stage, sub in (("mining", ".1"), ("post-mining", ".2")):
        cat = series.category + sub
        ef = ctx.find("EF", cat, activity="coal_production", gas="CH4")
        kg = fugitive.coal_mining_ch4(tonnes, _as(ef, "m**3 / t"), _as(rho, "kg CH4 / m**3"))
        yield Estimate(
            cat,
            "CH4",
            kg * 1e-6,
            _tier([ef]),
            f"coal {mine} {stage} (Tier 1)",
            f"Vol 2 Ch 4 Sect {section}",
            [ef, rho],
            series,
        )


@handles("lime_production")
def _lime(series: Series, ctx: Context) -> Iterator[Estimate]:
    """2.A.2: CO2 = M_lime x EF_lime (Vol 3 Ch 2 Eq. 2.8)."""
    yield _product(series, ctx, "CO2", "lime (Tier 1)", "Vol 3 Ch 2 Eq. 2.8", fn=ippu.lime_co2)


@handles("nitric_acid_production")
def _nitric(series: Series, ctx: Context) -> Iterator[Estimate]:
    """2.B.2: N2O = EF x NAP (Vol 3 Ch 3 Eq. 3.5)."""
    yield _product(
        series,
        ctx,
        "N2O",
        "nitric acid (Tier 1)",
        "Vol 3 Ch 3 Eq. 3.5",
        fn=ippu.nitric_acid_n2o,
    )


#: 2.C.1 routes: activity -> (equation, gases)
STEEL_ROUTES: dict[str, tuple[str, tuple[str, ...]]] = {
    "steel_production": ("Vol 3 Ch 4 Eq. 4.4", ("CO2",)),
    "pig_iron_production": ("Vol 3 Ch 4 Eq. 4.5", ("CO2",)),
    "dri_production": ("Vol 3 Ch 4 Eq. 4.6", ("CO2",)),
    "sinter_production": ("Vol 3 Ch 4 Eq. 4.7, 4.14", ("CO2", "CH4")),
    "pellet_production": ("Vol 3 Ch 4 Eq. 4.8", ("CO2",)),
}


@handles(*STEEL_ROUTES)
def _steel(series: Series, ctx: Context) -> Iterator[Estimate]:
    """2.C.1 Tier 1: E = P_route x EF_route (Vol 3 Ch 4 Eq. 4.4-4.8, 4.14)."""
    equation, gases = STEEL_ROUTES[series.activity]
    route = series.activity.removesuffix("_production").replace("_", " ")
    for gas in gases:
        yield _product(
            series, ctx, gas, f"iron and steel: {route} (Tier 1)", equation, fn=ippu.iron_steel_co2
        )
