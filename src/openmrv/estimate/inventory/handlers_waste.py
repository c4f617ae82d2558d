"""Handlers of waste (4.A solid waste disposal, 4.D wastewater), from population."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from openmrv.errors import CaseError, FactorError
from openmrv.estimate.inventory import (
    waste,
)
from openmrv.estimate.inventory.estimates import (
    ActivityRatioOf,
    Estimate,
    RatioOf,
    Series,
)
from openmrv.estimate.inventory.registry import (
    HISTORY_YEARS,
    Context,
    _as,
    _fraction,
    _keys,
    _mixture_model,
    _scale,
    _tier,
    handles,
)
from openmrv.factors import Factor, NoFactorError

HISTORY_YEARS[("4.A", "population")] = (
    "first-order decay: CH4 of a year comes from waste deposited in earlier years "
    "(Vol 5 Ch 3, Eq. 3.4; Vol 5 3.2.2 recommends 50 years of disposal history)"
)


@handles("population")
def _population(series: Series, ctx: Context) -> Iterator[Estimate]:
    """4.A solid waste (first-order decay) or 4.D.1 domestic wastewater, from population."""
    if series.category.startswith("4.A"):
        yield from _solid_waste(series, ctx)
    elif series.category.startswith("4.D"):
        yield from _wastewater(series, ctx)
    else:
        raise CaseError(
            f"population drives 4.A or 4.D, not {series.category}",
            file=series.refs[0].rsplit(":", 1)[0],
            field="category",
        )


def _solid_waste(series: Series, ctx: Context) -> Iterator[Estimate]:
    """4.A: W = P x MSW_rate x frac_SWDS split by composition; FOD (Vol 5 Eq. 3.1-3.6).

    The activity key names the disposal-site type whose MCF and OX apply (e.g.
    ``uncategorised`` for 4.A.3).
    """
    cat = series.category
    rate = ctx.find("MSW_rate", cat)
    frac = ctx.find("frac_SWDS", cat)
    persons = series.values * _scale(series.unit, (), "person")
    msw_gg = persons * _as(rate, "Gg / person / yr") * _fraction(frac)
    types = [k for k in _keys(ctx, "waste_frac", cat) if k]
    if not types:
        raise FactorError(
            f"no waste composition (waste_frac) applies to {cat}; set the "
            "'region' qualifier or add a country-specific composition",
            field="factors",
        )
    used = [rate, frac]
    shares, docs, ks = [], [], []
    by_type: dict[str, list[Factor]] = {"waste_frac": [], "DOC": [], "k": []}
    for t in types:
        share = ctx.find("waste_frac", cat, key=t)
        used.append(share)
        if _fraction(share) == 0.0:
            continue
        try:
            doc = ctx.find("DOC", cat, key=t)
        except NoFactorError:  # inert waste (plastics, metal, glass): no degradable carbon
            continue
        k = ctx.find("k", cat, key=t)
        shares.append(_fraction(share))
        docs.append(_as(doc, "t C / t"))
        ks.append(_as(k, "1 / yr"))
        used += [doc, k]
        for p, f in (("waste_frac", share), ("DOC", doc), ("k", k)):
            by_type[p].append(f)
    docf, f_ch4 = ctx.find("DOCf", cat), ctx.find("F", cat)
    mcf, ox = ctx.find("MCF", cat, key=series.key), ctx.find("OX", cat, key=series.key)
    delay, c2ch4 = ctx.find("delay", cat), ctx.find("C_to_CH4", "*")
    used += [docf, f_ch4, mcf, ox, delay, c2ch4]
    sh, dc, kk = np.asarray(shares), np.asarray(docs), np.asarray(ks)
    values = waste.fod_ch4(
        np.outer(sh, msw_gg),
        dc,
        _fraction(docf),
        _fraction(mcf),
        _fraction(f_ch4),
        kk,
        _fraction(ox),
        _as(c2ch4, "kg CH4 / (kg C)"),
        delay_months=_as(delay, "month"),
    )

    def model(r: RatioOf, a: ActivityRatioOf) -> np.ndarray:
        def per_type(p: str) -> np.ndarray:
            return np.concatenate([r(f) for f in by_type[p]], axis=1)  # (draws, types)

        w = msw_gg[None, :] * a(series) * r(rate) * r(frac)  # (draws, years)
        deposited = (sh[None, :] * per_type("waste_frac"))[:, :, None] * w[:, None, :]
        return waste.fod_ch4(
            deposited,
            dc[None, :] * per_type("DOC"),
            _fraction(docf) * r(docf)[:, 0],
            _fraction(mcf) * r(mcf)[:, 0],
            _fraction(f_ch4) * r(f_ch4)[:, 0],
            kk[None, :] * per_type("k"),
            _fraction(ox) * r(ox)[:, 0],
            _as(c2ch4, "kg CH4 / (kg C)"),
            delay_months=_as(delay, "month"),
        )

    yield Estimate(
        cat,
        "CH4",
        values,
        _tier(used),
        "solid waste first-order decay",
        "Vol 5 Ch 3 Eq. 3.1-3.6",
        used,
        series,
        model=model,
    )


def _wastewater(series: Series, ctx: Context) -> Iterator[Estimate]:
    """4.D.1: CH4 = sum_j(U T_j B0 MCF_j)(TOW - S) - R (Vol 5 Eq. 6.1-6.3); N2O Eq. 6.7.

    The activity key says whether the wastewater is ``collected`` or ``uncollected``
    (the industrial correction I).
    """
    cat = series.category
    persons = series.values * _scale(series.unit, (), "person")
    bod = ctx.find("BOD", cat)
    icorr = ctx.find("I", cat, key=series.key)
    b0 = ctx.find("B0", cat)
    tow = waste.wastewater_tow(persons, _as(bod, "g BOD / person / d"), _fraction(icorr))
    pathways = [k for k in _keys(ctx, "pathway_share", cat) if k]
    if not pathways:
        raise FactorError(
            f"no treatment pathway shares (pathway_share) for {cat}; add them "
            "to the case's country-specific factors",
            field="factors",
        )
    shares = [ctx.find("pathway_share", cat, key=p) for p in pathways]
    mcfs = [ctx.find("MCF", cat, key=p) for p in pathways]
    used = [bod, icorr, b0, *shares, *mcfs]
    share_v = np.array([_fraction(f) for f in shares])
    mcf_v = np.array([_fraction(f) for f in mcfs])
    ch4_kg = waste.wastewater_ch4(tow, share_v, _as(b0, "kg CH4 / (kg BOD)"), mcf_v)
    base = tow * 1e-6 * _as(b0, "kg CH4 / (kg BOD)")

    model = _mixture_model(
        base, series, [bod, icorr, b0], share_v * mcf_v, list(zip(shares, mcfs, strict=True))
    )

    yield Estimate(
        cat,
        "CH4",
        ch4_kg * 1e-6,
        _tier(used),
        "domestic wastewater",
        "Vol 5 Ch 6 Eq. 6.1-6.3",
        used,
        series,
        model=model,
    )
    if not ctx.library.candidates("Protein", cat):
        return
    prot = ctx.find("Protein", cat)
    p = {n: ctx.find(n, cat) for n in ("F_NPR", "F_NON_CON", "F_IND_COM")}
    ef = ctx.find("EF_effluent", cat, gas="N2O")
    n2o_ratio = ctx.find("N2ON_to_N2O", "*")
    kg = waste.wastewater_n2o(
        persons,
        _as(prot, "kg / person / yr"),
        _as(p["F_NPR"], "kg N / kg"),
        _fraction(p["F_NON_CON"]),
        _fraction(p["F_IND_COM"]),
        _as(ef, "kg N2ON / (kg N)"),
        _as(n2o_ratio, "kg N2O / (kg N2ON)"),
    )
    n2o_used = [prot, *p.values(), ef, n2o_ratio]
    yield Estimate(
        cat,
        "N2O",
        kg * 1e-6,
        _tier(n2o_used),
        "domestic wastewater effluent",
        "Vol 5 Ch 6 Eq. 6.7, 6.8",
        n2o_used,
        series,
    )
