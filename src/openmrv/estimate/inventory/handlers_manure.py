"""Handler of N2O from manure management, Tier 1: direct (3.A.2) and indirect (3.C.6)
(IPCC 2006 Vol 4 Ch 10 Sect 10.5, Eq. 10.25-10.30; factors in ``ipcc2019r_v4c10_manure_n2o``
(N rate Table 10.19, EF3 Table 10.21, Frac_GasMS and Frac_LeachMS Table 10.22, 2019R), the
system shares in ``ipcc2019r_v4c10_awms`` and TAM in ``ipcc2019r_v4c10_tam``; EF4 and EF5 from
Vol 4 Ch 11 Table 11.3, as Eq. 10.27 and 10.29 say).

Activity series under ``3.A.2.<animal>``, key the animal (``dairy_cattle``, ``other_cattle``,
``buffalo``, ``sheep``, ``goats``, ``camels``, ``horses``, ``mules_asses``,
``breeding_swine``, ``market_swine``):

- ``head_n2o`` [head]: the population whose manure N2O is estimated (kept apart from
  ``head``, which carries manure CH4);
- ``n_excretion`` [kg N / head / yr], optional, same category and key: a country-specific
  Nex_T (Tier 2) replacing the default Nrate x TAM / 1000 x 365 (Eq. 10.30).

The systems are the animal's AWMS rows (key ``<animal>:<system>``) under the case's
qualifiers. Manure on pasture, range and paddock is not managed: its N2O is 3.C.4 (F_PRP,
Ch 11); manure burned for fuel is energy (1.A). Both are left out of the sums here, as the
Guidelines say (Sect 10.5.1).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from openmrv.errors import CaseError, FactorError
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
from openmrv.factors import Factor

INFORMATIONAL["n_excretion"] = (
    "country-specific N excretion per head, used by the manure N2O method (Vol 4 Eq. 10.25)"
)

#: AWMS systems whose N is not managed manure: (system, where its N2O is reported)
NOT_MANAGED = {"pasture": "3.C.4 (F_PRP)", "burned": "1.A (manure burned for fuel)"}
#: where indirect N2O from manure management is reported (IPCC 2006 category)
INDIRECT = "3.C.6"


def awms_shares(series: Series, ctx: Context, category: str, animal: str) -> list[Factor]:
    """The AWMS rows of one animal (keys ``<animal>:<system>``) of the most specific set that
    applies under the case's qualifiers, checked to hold one row per system and to sum to
    100 %.

    Raises
    ------
    FactorError
        If no set applies, a system has two rows, or the shares do not sum to 100 %.
    """
    found = [
        (score, f)
        for f in ctx.library.factors
        if f.parameter == "AWMS" and f.key.startswith(f"{animal}:")
        for score, f in ctx.library.candidates("AWMS", category, activity="head", key=f.key)
    ]
    if not found:
        raise FactorError(
            f"{series.label}: no AWMS shares (keys '{animal}:<system>') apply under {category} "
            f"with the case's qualifiers {dict(ctx.library.qualifiers) or 'none'}; set region "
            "(and productivity) in case.yaml or add country-specific AWMS rows",
            file=series.refs[0].rsplit(":", 1)[0],
            field="key",
        )
    best = max(score for score, _ in found)
    shares = sorted({f for score, f in found if score == best}, key=lambda f: f.key)
    systems = [f.key.split(":", 1)[1] for f in shares]
    if len(set(systems)) != len(systems):
        raise FactorError(
            f"{series.label}: more than one AWMS row per system "
            f"({', '.join(f.id for f in shares)}); choose a table with 'factors: prefer:'",
            field="factors",
        )
    total = sum(_fraction(f) for f in shares)
    if abs(total - 1.0) > 0.01:
        raise FactorError(
            f"{series.label}: AWMS shares sum to {100 * total:.1f} %, not 100 % "
            f"({', '.join(f.id for f in shares)})",
            field="value",
        )
    return shares


def _mix(
    base: np.ndarray, weights: np.ndarray, rows: list[tuple[Factor, Factor]], r: RatioOf
) -> np.ndarray:
    """base x sum_j w_j r(a_j) r(b_j) / sum_j w_j: 1 x base when nothing is perturbed."""
    total = float(weights.sum())
    if total == 0.0:
        return np.zeros_like(base)[None, :]
    mix = sum(w * r(a) * r(b) for w, (a, b) in zip(weights, rows, strict=True))
    return base[None, :] * mix / total


@handles("head_n2o")
def _manure_n2o(series: Series, ctx: Context) -> Iterator[Estimate]:
    """3.A.2 direct (Eq. 10.25) and 3.C.6 indirect (Eq. 10.26-10.29) manure N2O, Tier 1."""
    cat, animal = series.category, series.key
    where = series.refs[0].rsplit(":", 1)[0]
    if not cat.startswith("3.A.2.") or not animal:
        raise CaseError(
            f"head_n2o (manure N2O) belongs under a 3.A.2 animal category with the animal as "
            f"key (e.g. 3.A.2.a.i, dairy_cattle), not {cat} / '{animal}'",
            file=where,
            field="category",
        )
    heads = series.values * _scale(series.unit, (), "head")
    own = [s for s in ctx.siblings(cat, "n_excretion") if s.key == animal]
    nex_factors: list[Factor] = []
    if own:
        (nex_series,) = own
        nex = nex_series.values * _scale(nex_series.unit, (), "kg N / head / yr")
        nex_eq = "country-specific Nex"
    else:
        nex_series = None
        n_rate = ctx.find("N_rate", cat, activity="head_n2o", key=animal)
        tam = ctx.find("TAM", cat, activity="head", key=animal)
        nex = agriculture.nitrogen_excretion(
            _as(n_rate, "kg N / (1000 kg) / d"), _as(tam, "kg")
        ) * np.ones_like(heads)
        nex_factors = [n_rate, tam]
        nex_eq = "Eq. 10.30"

    all_shares = awms_shares(series, ctx, cat, animal)
    shares = [f for f in all_shares if f.key.split(":", 1)[1] not in NOT_MANAGED]
    systems = [f.key.split(":", 1)[1] for f in shares]
    ms = np.array([_fraction(f) for f in shares])
    ratio = ctx.find("N2ON_to_N2O", "*")
    conv = _as(ratio, "kg N2O / (kg N2ON)")

    def nex_ratio(r: RatioOf, a: ActivityRatioOf) -> np.ndarray:
        if nex_series is not None:
            return a(nex_series)
        out = np.ones((1, heads.size))
        for f in nex_factors:
            out = out * r(f)
        return out

    # direct, Eq. 10.25: sum over managed systems of N x Nex x MS x EF3 x 44/28
    ef3 = [ctx.find("EF3", cat, activity="head_n2o", key=s, gas="N2O") for s in systems]
    ef3_v = np.array([_as(f, "kg N2ON / (kg N)") for f in ef3])
    direct_kg = sum(
        (
            agriculture.manure_n2o_direct(heads, nex, m, e, conv)
            for m, e in zip(ms, ef3_v, strict=True)
        ),
        np.zeros_like(heads),
    )
    direct = direct_kg * 1e-6
    rows_d = list(zip(shares, ef3, strict=True))

    def model_direct(r: RatioOf, a: ActivityRatioOf) -> np.ndarray:
        return _mix(direct, ms * ef3_v, rows_d, r) * a(series) * nex_ratio(r, a)

    used_d = [*nex_factors, *shares, *ef3, ratio]
    yield Estimate(
        cat,
        "N2O",
        direct,
        _tier(used_d),
        "manure N2O, direct (Tier 1)",
        f"Vol 4 Ch 10 Eq. 10.25, {nex_eq}",
        used_d,
        series,
        model=model_direct,
    )

    # indirect, Eq. 10.26-10.29: volatilised (Frac_GasMS, EF4) and leached (Frac_LeachMS, EF5)
    gas = [ctx.find("Frac_GasMS", cat, activity="head_n2o", key=s) for s in systems]
    leach = [ctx.find("Frac_LeachMS", cat, activity="head_n2o", key=s) for s in systems]
    ef4 = ctx.find("EF4", "3.C.5", activity="n_volatilised", gas="N2O")
    ef5 = ctx.find("EF5", "3.C.5", activity="n_leached", gas="N2O")
    gas_v = np.array([_fraction(f) for f in gas])
    leach_v = np.array([_fraction(f) for f in leach])
    n_vol = agriculture.manure_n_lost(heads, nex, ms, gas_v)
    n_leach = agriculture.manure_n_lost(heads, nex, ms, leach_v)
    ef4_v, ef5_v = _as(ef4, "kg N2ON / (kg N)"), _as(ef5, "kg N2ON / (kg N)")
    vol = agriculture.manure_n2o_indirect(n_vol, ef4_v, 0.0, 0.0, conv) * 1e-6
    lea = agriculture.manure_n2o_indirect(0.0, 0.0, n_leach, ef5_v, conv) * 1e-6
    rows_g = list(zip(shares, gas, strict=True))
    rows_l = list(zip(shares, leach, strict=True))

    def model_indirect(r: RatioOf, a: ActivityRatioOf) -> np.ndarray:
        spread = _mix(vol, ms * gas_v, rows_g, r) * r(ef4) + _mix(lea, ms * leach_v, rows_l, r) * r(
            ef5
        )
        return spread * a(series) * nex_ratio(r, a)

    used_i = [*nex_factors, *shares, *gas, *leach, ef4, ef5, ratio]
    yield Estimate(
        INDIRECT,
        "N2O",
        vol + lea,
        _tier(used_i),
        f"manure N2O, indirect (Tier 1): {animal}",
        f"Vol 4 Ch 10 Eq. 10.26-10.29, {nex_eq}",
        used_i,
        series,
        model=model_indirect,
    )
