"""Handlers of agriculture (3.A livestock, 3.B manure, 3.C urea and managed soils)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from openmrv.errors import CaseError
from openmrv.estimate.inventory import (
    agriculture,
)
from openmrv.estimate.inventory.estimates import (
    ActivityRatioOf,
    Estimate,
    RatioOf,
    Series,
)
from openmrv.estimate.inventory.handlers_manure import awms_shares
from openmrv.estimate.inventory.registry import (
    Context,
    _as,
    _fraction,
    _mixture_model,
    _product,
    _scale,
    _tier,
    handles,
)


@handles("head")
def _livestock(series: Series, ctx: Context) -> Iterator[Estimate]:
    """3.A.1 enteric and 3.A.2 manure CH4: E = EF x N (Vol 4 Eq. 10.19, 10.22)."""
    if not series.category.startswith(("3.A.1", "3.A.2")):
        raise CaseError(
            f"animal populations belong under 3.A.1 or 3.A.2, not {series.category}",
            file=series.refs[0].rsplit(":", 1)[0],
            field="category",
        )
    eq = "Vol 4 Ch 10 Eq. 10.19" if series.category.startswith("3.A.1") else "Vol 4 Ch 10 Eq. 10.22"
    yield _product(series, ctx, "CH4", "livestock Tier 1", eq)


@handles("head_2019r")
def _manure_2019r(series: Series, ctx: Context) -> Iterator[Estimate]:
    """3.A.2 manure CH4 by the 2019 Refinement Tier 1 (Vol 4 Eq. 10.22, 10.22A, 10.23).

    ``EF_T = VS_rate x TAM / 1000 x 365 x B0 x 0.67 x sum_S(MCF_S,k x AWMS_T,S)`` and
    ``CH4 = EF_T x N_T``. The systems S are the AWMS rows keyed ``<animal>:<system>``
    for the animal; each system's MCF is keyed by the system and selected by the
    case's ``climate`` qualifier (2019R climate zones, e.g. ``warm_temperate_dry``).
    """
    cat, key = series.category, series.key
    where = series.refs[0].rsplit(":", 1)[0]
    if not cat.startswith("3.A.2"):
        raise CaseError(
            f"activity 'head_2019r' (manure CH4, 2019R Tier 1) belongs under 3.A.2, not {cat}",
            file=where,
            field="category",
        )
    vs_rate = ctx.find("VS_rate", cat, activity="head", key=key)
    tam = ctx.find("TAM", cat, activity="head", key=key)
    b0 = ctx.find("B0", cat, activity="head", key=key)
    # the AWMS rows of the most specific applicable set (qualifiers, tier) are used together
    shares = awms_shares(series, ctx, cat, key)
    systems = [f.key.split(":", 1)[1] for f in shares]
    share_v = np.array([_fraction(f) for f in shares])
    mcfs = [ctx.find("MCF", cat, activity="head", key=s) for s in systems]
    mcf_v = np.array([_fraction(f) for f in mcfs])
    ef = agriculture.manure_ch4_ef_2019r(
        _as(vs_rate, "kg / (1000 kg) / d"), _as(tam, "kg"), _as(b0, "m**3 / kg"), mcf_v, share_v
    )
    heads = series.values * _scale(series.unit, (), "head")
    used = [vs_rate, tam, b0, *shares, *mcfs]
    base = heads * 1e-6 * ef / max(float(np.sum(mcf_v * share_v)), 1e-300)

    model = _mixture_model(
        base, series, [vs_rate, tam, b0], mcf_v * share_v, list(zip(mcfs, shares, strict=True))
    )

    yield Estimate(
        cat,
        "CH4",
        heads * ef * 1e-6,
        _tier(used),
        "manure CH4, 2019R Tier 1 (Eq. 10.22A)",
        "Vol 4 Ch 10 Eq. 10.22, 10.22A, 10.23 (2019R)",
        used,
        series,
        model=model,
    )


@handles("urea_applied")
def _urea(series: Series, ctx: Context) -> Iterator[Estimate]:
    """3.C.3: CO2 = M x EF x 44/12 (Vol 4 Eq. 11.13)."""
    ef = ctx.find("EF", series.category, activity="urea_applied", key=series.key, gas="CO2")
    c2co2 = ctx.find("C_to_CO2", "*")
    tonnes = series.values * _scale(series.unit, (), "t")
    co2_t = agriculture.urea_application_co2(
        tonnes, _as(ef, "t C / t"), _as(c2co2, "t CO2 / (t C)")
    )
    yield Estimate(
        series.category,
        "CO2",
        co2_t * 1e-3,
        _tier([ef, c2co2]),
        "urea application",
        "Vol 4 Ch 11 Eq. 11.13",
        [ef, c2co2],
        series,
    )


@handles("n_applied", "n_prp")
def _soils(series: Series, ctx: Context) -> Iterator[Estimate]:
    """3.C.4 direct and 3.C.5 indirect N2O from managed soils, Tier 1 (Vol 4 Eq. 11.1, 11.9,
    11.10).

    The activity is N applied (``n_applied``: key ``synthetic_fertiliser``, ``urea``,
    ``organic`` ...) or deposited by grazing animals (``n_prp``: key ``cattle_poultry_pigs``
    or ``sheep_other``) [kg N or t N]. Under 3.C.4 the direct emission factor applies
    (EF1 or EF3PRP); under 3.C.5 volatilisation (Frac_GASF for synthetic N, Frac_GASM for
    organic and grazing N, times EF4) and leaching (Frac_LEACH x EF5) apply.
    """
    cat, key = series.category, series.key
    n_kg = series.values * _scale(series.unit, (), "kg N")
    ratio = ctx.find("N2ON_to_N2O", "*")
    conv = _as(ratio, "kg N2O / (kg N2ON)")
    if cat.startswith("3.C.4"):
        if series.activity == "n_applied":
            ef = ctx.find("EF1", cat, activity="n_applied", key=key, gas="N2O")
            kg = agriculture.soils_direct_n2o(n_kg, _as(ef, "kg N2ON / (kg N)"), 0.0, 0.0, conv)
        else:
            ef = ctx.find("EF3PRP", cat, activity="n_prp", key=key, gas="N2O")
            kg = agriculture.soils_direct_n2o(0.0, 0.0, n_kg, _as(ef, "kg N2ON / (kg N)"), conv)
        yield Estimate(
            cat,
            "N2O",
            kg * 1e-6,
            _tier([ef, ratio]),
            "managed soils, direct",
            "Vol 4 Ch 11 Eq. 11.1",
            [ef, ratio],
            series,
        )
    elif cat.startswith("3.C.5"):
        synthetic = series.activity == "n_applied" and key != "organic"
        frac = (
            ctx.find("Frac_GASF", cat, activity="n_applied", key=key)
            if synthetic
            else ctx.find("Frac_GASM", cat, activity="n_applied", key="organic_n_and_prp")
        )
        ef4 = ctx.find("EF4", cat, activity="n_volatilised", gas="N2O")
        leach = ctx.find("Frac_LEACH", cat, activity="n_applied")
        ef5 = ctx.find("EF5", cat, activity="n_leached", gas="N2O")
        f = _as(frac, "kg N / (kg N)")
        kg = agriculture.soils_indirect_n2o(
            n_kg if synthetic else 0.0,
            0.0 if synthetic else n_kg,
            n_kg,
            f if synthetic else 0.0,
            0.0 if synthetic else f,
            _as(ef4, "kg N2ON / (kg N)"),
            _as(leach, "kg N / (kg N)"),
            _as(ef5, "kg N2ON / (kg N)"),
            conv,
        )
        used = [frac, ef4, leach, ef5, ratio]
        vol = n_kg * f * _as(ef4, "kg N2ON / (kg N)") * conv * 1e-6
        lea = n_kg * _as(leach, "kg N / (kg N)") * _as(ef5, "kg N2ON / (kg N)") * conv * 1e-6

        def model(r: RatioOf, a: ActivityRatioOf) -> np.ndarray:
            return a(series) * (vol * r(frac) * r(ef4) + lea * r(leach) * r(ef5))

        yield Estimate(
            cat,
            "N2O",
            kg * 1e-6,
            _tier(used),
            "managed soils, indirect",
            "Vol 4 Ch 11 Eq. 11.9, 11.10",
            used,
            series,
            model=model,
        )
    else:
        raise CaseError(
            f"soil N belongs under 3.C.4 or 3.C.5, not {cat}",
            file=series.refs[0].rsplit(":", 1)[0],
            field="category",
        )
