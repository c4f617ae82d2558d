"""Handlers of energy (1.A combustion, 1.B.2 fugitive) and industrial processes (2)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from openmrv.dataformat import GASES
from openmrv.errors import CaseError, FactorError
from openmrv.estimate.inventory import (
    energy,
    fugitive,
    ippu,
)
from openmrv.estimate.inventory.estimates import (
    ActivityRatioOf,
    Estimate,
    RatioOf,
    Series,
)
from openmrv.estimate.inventory.registry import (
    Context,
    Handler,
    _as,
    _fraction,
    _product,
    _scale,
    _tier,
    handles,
)
from openmrv.factors import Factor
from openmrv.units import parse_unit


@handles("fuel_consumption")
def _fuel_combustion(series: Series, ctx: Context) -> Iterator[Estimate]:
    """1.A: E = FC x EF for CO2, CH4, N2O (Vol 2 Eq. 2.1); mass converted with NCV."""
    energy_series = series
    extra: list[Factor] = []
    if parse_unit(series.unit).dimensionality == parse_unit("Gg").dimensionality:
        ncv = ctx.find("NCV", series.category, key=series.key)
        tj = energy.mass_to_energy(
            series.values * _scale(series.unit, (), "Gg"), _as(ncv, "TJ / Gg")
        )
        energy_series = Series(
            series.category,
            series.activity,
            series.key,
            series.years,
            tj,
            "TJ",
            series.flags,
            series.refs,
            series.source,
        )
        extra.append(ncv)
    for gas in GASES:
        est = _product(
            energy_series,
            ctx,
            gas,
            "fuel combustion",
            "Vol 2 Ch 2 Eq. 2.1",
            fn=energy.combustion_emissions,
        )
        est.factors = list(dict.fromkeys([*extra, *est.factors]))
        if est.per_year is not None:
            est.per_year = [(*extra, *fs) for fs in est.per_year]
        est.tier = np.maximum(est.tier, _tier(extra))
        est.series = series
        yield est


@handles("gas_production", "gas_marketed")
def _fugitive(series: Series, ctx: Context) -> Iterator[Estimate]:
    """1.B.2: E = A x EF per segment (Vol 2 Eq. 4.2.1)."""
    if not series.category.startswith("1.B.2"):
        raise CaseError(
            f"activity '{series.activity}' belongs under 1.B.2, not {series.category}",
            file=series.refs[0].rsplit(":", 1)[0],
            field="category",
        )
    if series.key == "*":
        targets = [
            (f.category, f.key, f.gas)
            for f in ctx.library.expand("EF", series.category, series.activity)
        ]
    else:
        targets = [
            (series.category, series.key, gas)
            for gas in GASES
            if ctx.library.candidates(
                "EF", series.category, activity=series.activity, key=series.key, gas=gas
            )
        ]
    if not targets:
        raise FactorError(
            f"no Tier 1 factor uses {series.activity} (key {series.key}) under {series.category}",
            file=series.refs[0].rsplit(":", 1)[0],
            field="key",
        )
    for cat, key, gas in targets:
        yield _product(
            series,
            ctx,
            gas,
            f"fugitive Tier 1 ({key})",
            "Vol 2 Ch 4 Eq. 4.2.1",
            category=cat,
            key=key,
            fn=fugitive.tier1_segment,
        )


#: the handler of any 1.B.2 activity basis that the fugitive tables use
FUGITIVE: Handler = _fugitive


@handles("clinker_production")
def _clinker(series: Series, ctx: Context) -> Iterator[Estimate]:
    """2.A.1 from clinker: CO2 = Mcl x EFclc (Vol 3 Eq. 2.1 with clinker known)."""
    yield _product(
        series, ctx, "CO2", "cement (clinker-based)", "Vol 3 Ch 2 Eq. 2.1", parameter="EF_clc"
    )


@handles("ammonia_production")
def _ammonia(series: Series, ctx: Context) -> Iterator[Estimate]:
    """2.B.1: CO2 = AP x FR x CCF x COF x 44/12 - R_urea (Vol 3 Eq. 3.1, 3.3)."""
    cat = series.category
    fr = ctx.find("FR", cat, activity="ammonia_production", key=series.key)
    fuel = "residual_fuel_oil" if "oxidation" in series.key else "natural_gas"
    ccf = ctx.find("CCF", cat, activity="ammonia_production", key=fuel)
    cof = ctx.find("COF", cat, activity="ammonia_production", key=fuel)
    c2co2 = ctx.find("C_to_CO2", "*")
    tonnes = series.values * _scale(series.unit, (), "t")
    gross_kg = ippu.ammonia_co2(
        tonnes,
        _as(fr, "GJ / t"),
        _as(ccf, "kg C / GJ"),
        _fraction(cof),
        _as(c2co2, "t CO2 / (t C)"),
    )
    used = [fr, ccf, cof, c2co2]
    recovered: list[tuple[Series, np.ndarray]] = []
    for urea in ctx.siblings(cat, "urea_production"):
        ufrac = ctx.find("urea_C_fraction", "*")
        urea_t = urea.values * _scale(urea.unit, (), "t")
        kg = 1000.0 * ippu.urea_co2_recovered(
            urea_t, _as(ufrac, "t C / t"), _as(c2co2, "t CO2 / (t C)")
        )
        recovered.append((urea, kg * 1e-6))
        used.append(ufrac)
    gross = gross_kg * 1e-6

    def model(r: RatioOf, a: ActivityRatioOf) -> np.ndarray:
        out = gross[None, :] * a(series) * r(fr) * r(ccf) * r(cof)
        for urea, rec in recovered:
            out = out - rec[None, :] * a(urea)
        return out

    yield Estimate(
        cat,
        "CO2",
        gross - sum((rec for _, rec in recovered), np.zeros_like(gross)),
        _tier(used),
        "ammonia (fuel requirement)",
        "Vol 3 Ch 3 Eq. 3.1, 3.3",
        used,
        series,
        model=model,
    )


@handles("methanol_production", "ethylene_production")
def _petrochemical(series: Series, ctx: Context) -> Iterator[Estimate]:
    """2.B.8: E = PP x EF (x GAF for ethylene CO2) (Vol 3 Eq. 3.15, 3.16/3.19)."""
    for gas in ("CO2", "CH4"):
        eq = "Vol 3 Ch 3 Eq. 3.15" if gas == "CO2" else "Vol 3 Ch 3 Eq. 3.16"
        est = _product(series, ctx, gas, f"petrochemical Tier 1 ({series.key})", eq)
        if gas == "CO2" and series.activity == "ethylene_production":
            gaf = ctx.find("GAF", series.category, activity=series.activity)
            est.values = ippu.petrochemical_tier1(est.values, 1.0, _as(gaf, "percent"))
            est.factors.append(gaf)
            est.tier = np.maximum(est.tier, _tier([gaf]))
        yield est
