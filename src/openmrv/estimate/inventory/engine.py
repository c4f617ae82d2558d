"""The inventory engine: activity data x factor library -> emissions dataset.

Each activity series (category, activity, key) is handed to the handler registered
for its activity name in :data:`HANDLERS`; a handler looks up its factors in the
:class:`~openmrv.factors.FactorLibrary`, converts units with pint and calls the
pure method functions. Every estimate records its tier, equation and the ids of
the factor rows and activity rows it used, so each number can be traced.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import pandas as pd
import xarray as xr

from openmrv import categories as cats
from openmrv.case import Case
from openmrv.dataformat import GASES, ensure_valid, year_index
from openmrv.errors import CaseError, FactorError, UnitError
from openmrv.estimate.inventory import (
    agriculture,
    energy,
    fugitive,
    ippu,
    timeseries,
    waste,
)
from openmrv.factors import Factor, FactorLibrary, NoFactorError
from openmrv.gwp import gwp
from openmrv.units import parse_unit, registry


@dataclass
class Series:
    """One activity series on the inventory's years (NaN where not given)."""

    category: str
    activity: str
    key: str
    years: np.ndarray
    values: np.ndarray
    unit: str
    flags: np.ndarray
    refs: list[str]
    source: str

    @property
    def label(self) -> str:
        return f"{self.category} / {self.activity} / {self.key or '-'}"


RatioOf = Callable[[Factor], np.ndarray]
ActivityRatioOf = Callable[["Series"], np.ndarray]
Model = Callable[[RatioOf, ActivityRatioOf], np.ndarray]


@dataclass
class Estimate:
    """Emissions of one gas in one category, one value per year of the series [Gg gas / yr].

    ``tier`` is given per year (an int is expanded); ``factors`` lists each factor row
    used, once.
    """

    category: str
    gas: str
    values: np.ndarray
    tier: np.ndarray | int
    method: str
    equation: str
    factors: list[Factor]
    series: Series
    #: the factor rows used in each year, where they differ between years
    per_year: list[tuple[Factor, ...]] | None = None
    #: how the estimate responds to its inputs, for Monte Carlo (Approach 2); None means
    #: a product of the activity and all its (non-stoichiometric) factors
    model: Model | None = None

    def simulate(self, factor_ratio: RatioOf, activity_ratio: ActivityRatioOf) -> np.ndarray:
        """Emissions for sampled inputs: shape (draws, years of the series).

        Parameters
        ----------
        factor_ratio
            Maps a factor row to its sampled value over its central value, shape (draws, 1).
        activity_ratio
            Maps an activity series to its sampled values over the reported ones,
            shape (draws, years).
        """
        if self.model is not None:
            return self.model(factor_ratio, activity_ratio)
        out = self.values[None, :] * activity_ratio(self.series)
        if self.per_year is None:
            for f in self.factors:
                if f.parameter not in STOICHIOMETRIC:
                    out = out * factor_ratio(f)
            return out
        ratios = np.ones_like(out)
        for i, used in enumerate(self.per_year):
            for f in used:
                if f.parameter not in STOICHIOMETRIC:
                    ratios[:, i] *= factor_ratio(f)[:, 0]
        return out * ratios

    def __post_init__(self) -> None:
        self.tier = np.broadcast_to(
            np.asarray(self.tier, dtype=int), self.series.years.shape
        ).copy()
        self.factors = list(dict.fromkeys(self.factors))


@dataclass
class InventoryResult:
    """What the engine returns."""

    dataset: xr.Dataset
    estimates: list[Estimate]
    reference_approach: pd.DataFrame
    gap_filling: pd.DataFrame
    informational: list[Series] = field(default_factory=list)

    def records(self) -> pd.DataFrame:
        """One row per category, gas and year, with tier, method and factor citations."""
        rows = []
        first = int(self.dataset["time"].dt.year.min())
        for est in self.estimates:
            per_year = est.per_year or [tuple(est.factors)] * len(est.series.years)
            for y, v, flag, tier, used in zip(
                est.series.years, est.values, est.series.flags, est.tier, per_year, strict=True
            ):
                if y < first:  # history kept for first-order decay, not reported
                    continue
                fids = ";".join(f.id for f in used)
                cites = " | ".join(sorted({f.citation() for f in used}))
                rows.append(
                    {
                        "category": est.category,
                        "gas": est.gas,
                        "year": int(y),
                        "value_Gg": float(v),
                        "tier": int(tier),
                        "method": est.method,
                        "equation": est.equation,
                        "activity": est.series.activity,
                        "key": est.series.key,
                        "activity_flag": flag,
                        "factors": fids,
                        "factor_sources": cites,
                        "activity_source": est.series.source,
                    }
                )
        return pd.DataFrame(rows)


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


def handles(*activities: str) -> Callable[[Handler], Handler]:
    """Register a handler for the named activities."""

    def deco(fn: Handler) -> Handler:
        for a in activities:
            HANDLERS[a] = fn
        return fn

    return deco


@dataclass
class Context:
    """What handlers may consult: the library, the case, and sibling series."""

    library: FactorLibrary
    case: Case
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


#: Physical constants (molecular-weight ratios): they never change the tier of an estimate.
STOICHIOMETRIC = frozenset({"C_to_CO2", "urea_C_fraction", "N2ON_to_N2O", "C_to_CH4"})


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


# --- handlers ------------------------------------------------------------------------------


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
    found = [
        (score, f)
        for f in ctx.library.factors
        if f.parameter == "AWMS" and f.key.startswith(f"{key}:")
        for score, f in ctx.library.candidates("AWMS", cat, activity="head", key=f.key)
    ]
    if not found:
        raise FactorError(
            f"{series.label}: no AWMS shares (keys '{key}:<system>') apply under {cat} with the "
            f"case's qualifiers {dict(ctx.library.qualifiers) or 'none'}; set region (and "
            "productivity) in case.yaml or add country-specific AWMS rows",
            file=where,
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
    share_v = np.array([_fraction(f) for f in shares])
    if abs(share_v.sum() - 1.0) > 0.01:
        raise FactorError(
            f"{series.label}: AWMS shares sum to {100 * share_v.sum():.1f} %, not 100 % "
            f"({', '.join(f.id for f in shares)})",
            field="value",
        )
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


def run_series(series: Series, ctx: Context) -> list[Estimate]:
    """All estimates from one series (empty for informational activities).

    Under 1.B.2 any activity basis that the factor library's fugitive tables use
    (gas production, raw gas feed, wells drilled, oil transported ...) is accepted.
    """
    if series.activity in INFORMATIONAL:
        return []
    handler = HANDLERS.get(series.activity)
    if handler is None and series.category.startswith("1.B.2"):
        bases = sorted(
            {
                f.activity
                for f in ctx.library.factors
                if f.category.startswith("1.B.2") and f.activity
            }
        )
        if series.activity in bases:
            handler = _fugitive
        else:
            raise CaseError(
                f"no fugitive factor uses the activity '{series.activity}'; activities with "
                f"1.B.2 factors: {', '.join(bases)}",
                file=series.refs[0].rsplit(":", 1)[0],
                field="activity",
            )
    if handler is None:
        known = sorted([*HANDLERS, *INFORMATIONAL])
        raise CaseError(
            f"unknown activity '{series.activity}'; known: {', '.join(known)}",
            file=series.refs[0].rsplit(":", 1)[0],
            field="activity",
        )
    return list(handler(series, ctx))


# --- assembling --------------------------------------------------------------------------


def _on(grp: pd.DataFrame, yrs: np.ndarray) -> np.ndarray:
    """A series' values on the years ``yrs`` (NaN where it has none)."""
    values = np.full(yrs.size, np.nan)
    sel = grp[(grp["year"] >= yrs[0]) & (grp["year"] <= yrs[-1])]
    values[sel["year"].to_numpy() - yrs[0]] = sel["value"].to_numpy(float)
    return values


def _log_flags(
    log: list[dict], cat: str, act: str, key: str, yrs: np.ndarray, flags: np.ndarray
) -> None:
    for y, f in zip(yrs, flags, strict=True):
        if f:
            log.append(
                {
                    "category": cat,
                    "activity": act,
                    "key": key,
                    "year": int(y),
                    "flag": f,
                    "technique": timeseries.FLAGS[f],
                }
            )


def build_series(
    activity: pd.DataFrame, case: Case
) -> tuple[dict[tuple[str, str, str], Series], pd.DataFrame]:
    """Put activity rows on the inventory years, filling gaps as the case allows.

    Years before the first inventory year are kept for methods that need history
    (first-order decay); years after the last are ignored.

    Raises
    ------
    CaseError
        If a series has years missing and ``gap_filling`` does not allow filling them,
        or mixes units.
    """
    out: dict[tuple[str, str, str], Series] = {}
    log: list[dict] = []
    groups = {k: g for k, g in activity.groupby(["category", "activity", "key"], sort=False)}
    consumed = {ref for method, ref in case.splices.values() if method == "overlap"}
    for (cat, act, key), grp in groups.items():
        if (cat, act, key) in consumed:  # an older vintage spliced into another series
            continue
        units = grp["unit"].unique()
        first_file = f"{grp['file'].iloc[0]}"
        if act not in HANDLERS and act not in INFORMATIONAL and not cat.startswith("1.B.2"):
            known = sorted([*HANDLERS, *INFORMATIONAL])
            raise CaseError(
                f"unknown activity '{act}'; known: {', '.join(known)}",
                file=first_file,
                row=int(grp["line"].iloc[0]),
                field="activity",
            )
        if len(units) > 1:
            odd = grp[grp["unit"] != units[0]].iloc[0]
            raise CaseError(
                f"series {cat}/{act}/{key} mixes units {list(units)}; use one unit per series",
                file=str(odd["file"]),
                row=int(odd["line"]),
                field="unit",
            )
        start = min(int(grp["year"].min()), case.first_year)
        yrs = np.arange(start, case.last_year + 1)
        values = _on(grp, yrs)
        flags = np.full(yrs.size, "", dtype=object)
        if (cat, act, key) in case.splices:
            method, ref = case.splices[(cat, act, key)]
            other = groups.get(ref)
            if other is None:
                raise CaseError(
                    f"gap_filling: series {'/'.join(ref)} (the {method} reference of "
                    f"{cat}/{act}/{key or '-'}) is not in the activity data",
                    file=str(case.config_file),
                    field="gap_filling",
                )
            before = np.isnan(values)
            try:
                if method == "overlap":
                    values, flags = timeseries.overlap(_on(other, yrs), values)
                else:
                    values, flags = timeseries.surrogate(values, _on(other, yrs))
            except ValueError as exc:
                raise CaseError(
                    f"gap_filling {method} of {cat}/{act}/{key or '-'}: {exc}",
                    file=str(case.config_file),
                    field="gap_filling",
                ) from None
            flags = np.where(before, flags, "")
            _log_flags(log, cat, act, key, yrs, flags)
        spliced = flags.copy()
        missing = yrs[np.isnan(values) & (yrs >= case.first_year)]
        if missing.size:
            if case.gap_filling == "none":
                raise CaseError(
                    f"series {cat}/{act}/{key or '-'} has no value for year(s) "
                    f"{', '.join(map(str, missing[:10]))}{' ...' if missing.size > 10 else ''};"
                    " add them, or set 'gap_filling: interpolate' (or "
                    "'interpolate+extrapolate') in case.yaml to splice them (Vol 1 Ch 5)",
                    file=first_file,
                    field="year",
                )
            values, flags = timeseries.interpolate(yrs, values)
            if case.gap_filling == "interpolate+extrapolate":
                values, eflags = timeseries.extrapolate_trend(yrs, values)
                flags = np.where(eflags == "E", "E", flags)
            still = yrs[np.isnan(values) & (yrs >= case.first_year)]
            if still.size:
                raise CaseError(
                    f"series {cat}/{act}/{key or '-'} cannot be interpolated for "
                    f"{', '.join(map(str, still[:10]))} (outside reported years); set "
                    "'gap_filling: interpolate+extrapolate' or add the years",
                    file=first_file,
                    field="year",
                )
            _log_flags(log, cat, act, key, yrs, flags)
        flags = np.where(spliced != "", spliced, flags)
        refs = [f"{r.file}:{r.line}" for r in grp.itertuples()]
        out[(cat, act, key)] = Series(
            cat,
            act,
            key,
            yrs,
            values,
            str(units[0]),
            flags,
            refs,
            "; ".join(sorted(set(grp["source"]))),
        )
    return out, pd.DataFrame(
        log, columns=["category", "activity", "key", "year", "flag", "technique"]
    )


def _on_years(est: Estimate, case: Case) -> np.ndarray:
    yrs = est.series.years
    sel = (yrs >= case.first_year) & (yrs <= case.last_year)
    return est.values[sel]


def to_dataset(
    estimates: list[Estimate], notation: pd.DataFrame, case: Case, title: str = ""
) -> xr.Dataset:
    """Emissions dataset (``docs/data-format.md``) with hierarchy totals and notation keys."""
    n_years = len(case.years)
    per_gas: dict[str, dict[str, np.ndarray]] = {g: {} for g in GASES}
    tiers: dict[str, dict[str, np.ndarray]] = {g: {} for g in GASES}
    for est in estimates:
        vals = _on_years(est, case)
        acc = per_gas[est.gas].get(est.category)
        per_gas[est.gas][est.category] = vals if acc is None else acc + vals
        prev = tiers[est.gas].get(est.category)
        t = est.tier[(est.series.years >= case.first_year) & (est.series.years <= case.last_year)]
        tiers[est.gas][est.category] = t if prev is None else np.maximum(prev, t)
    nk_cells: dict[tuple[str, str], str] = {}
    for rec in notation.itertuples():
        if rec.category in per_gas[rec.gas]:
            raise CaseError(
                f"category {rec.category} {rec.gas} has both estimates and the "
                f"notation key {rec.notation_key}; remove one",
                file=str(case.notation_file),
                field="notation_key",
            )
        nk_cells[(rec.category, rec.gas)] = rec.notation_key
    totals = {
        g: cats.aggregate(per_gas[g], case.category_system) if per_gas[g] else {} for g in GASES
    }
    codes = set()
    for g in GASES:
        codes |= set(totals[g])
    codes |= {c for c, _ in nk_cells}
    for c, _ in list(nk_cells):
        codes |= set(cats.ancestors(c, case.category_system))
    codes_sorted = cats.sort_codes(codes)
    cat_dim = f"category ({case.category_system})"
    dims = ("time", "area (ISO3)", cat_dim, "source")
    shape = (n_years, 1, len(codes_sorted), 1)
    data_vars = {}
    kyoto = np.zeros(shape)
    kyoto_has = np.zeros(shape, dtype=bool)
    for g in GASES:
        arr = np.full(shape, np.nan)
        nk = np.full(shape, "", dtype=object)
        tier = np.full(shape, "", dtype=object)
        for i, c in enumerate(codes_sorted):
            if c in totals[g]:
                arr[:, 0, i, 0] = totals[g][c]
            elif (c, g) in nk_cells:
                nk[:, 0, i, 0] = nk_cells[(c, g)]
            if c in tiers[g]:
                tier[:, 0, i, 0] = [f"T{t}" for t in tiers[g][c]]
        data_vars[g] = xr.DataArray(arr, dims=dims, attrs={"entity": g, "units": f"Gg {g} / yr"})
        data_vars[f"notation_key ({g})"] = xr.DataArray(nk.astype(str), dims=dims)
        data_vars[f"tier ({g})"] = xr.DataArray(tier.astype(str), dims=dims)
        kyoto += np.nan_to_num(arr) * gwp(g, case.gwp)
        kyoto_has |= ~np.isnan(arr)
    name = f"KYOTOGHG ({case.gwp})"
    data_vars[name] = xr.DataArray(
        np.where(kyoto_has, kyoto, np.nan),
        dims=dims,
        attrs={"entity": "KYOTOGHG", "units": "Gg CO2 / yr", "gwp_context": case.gwp},
    )
    ds = xr.Dataset(
        data_vars,
        coords={
            "time": year_index(case.years),
            "area (ISO3)": [case.country],
            cat_dim: codes_sorted,
            "source": [f"openmrv-{case.name}"],
        },
        attrs={
            "area": "area (ISO3)",
            "cat": cat_dim,
            "title": title or f"{case.name}: national GHG inventory (openmrv)",
            "references": "IPCC 2006 Guidelines and 2019 Refinement; see factor_sources",
            "institution": "openmrv",
            "comment": f"GWP set {case.gwp}",
            "gwp_context": case.gwp,
        },
    )
    return ensure_valid(ds)


def reference_approach(
    series: dict[tuple[str, str, str], Series], estimates: list[Estimate], ctx: Context
) -> pd.DataFrame:
    """Reference approach CO2 (Vol 2 Ch 6 Eq. 6.1) beside the sectoral approach, per fuel
    family (liquid, solid, gaseous: crude oil there, its products here)."""
    case = ctx.case
    n = len(case.years)
    sectoral: dict[str, np.ndarray] = {}
    for est in estimates:
        if est.gas == "CO2" and est.series.activity == "fuel_consumption":
            fam = energy.fuel_family(est.series.key)
            sectoral[fam] = sectoral.get(fam, np.zeros(n)) + _on_years(est, case)
    reference: dict[str, np.ndarray] = {}
    used: dict[str, list[Factor]] = {}
    c2co2 = ctx.find("C_to_CO2", "*")
    for (cat, act, key), s in series.items():
        if act != "apparent_consumption":
            continue
        cc, cof = ctx.find("CC", cat, key=key), ctx.find("COF", cat, key=key)
        sel = s.years >= case.first_year
        tj = s.values[sel] * _scale(s.unit, (), "TJ")
        excluded = np.zeros_like(tj)
        for fs in ctx.siblings(cat, "feedstock_use"):
            if fs.key == key:
                fs_tj = fs.values[fs.years >= case.first_year] * _scale(fs.unit, (), "TJ")
                excluded += fs_tj * _as(cc, "t C / TJ") * 1e-3
        co2 = energy.reference_approach_co2(
            tj, _as(cc, "t C / TJ"), excluded, _as(c2co2, "t CO2 / (t C)"), _fraction(cof)
        )
        fam = energy.fuel_family(key)
        reference[fam] = reference.get(fam, np.zeros(n)) + co2
        used.setdefault(fam, []).extend([cc, cof, c2co2])
    rows = []
    for fam, ra in reference.items():
        sa = sectoral.get(fam, np.full(n, np.nan))
        ids = ";".join(dict.fromkeys(f.id for f in used[fam]))
        for y, r, s_ in zip(case.years, ra, sa, strict=True):
            rows.append(
                {
                    "fuel_family": fam,
                    "year": y,
                    "reference_Gg_CO2": float(r),
                    "sectoral_Gg_CO2": float(s_),
                    "difference_pct": float(100 * (r - s_) / s_) if s_ else np.nan,
                    "factors": ids,
                }
            )
    return pd.DataFrame(
        rows,
        columns=[
            "fuel_family",
            "year",
            "reference_Gg_CO2",
            "sectoral_Gg_CO2",
            "difference_pct",
            "factors",
        ],
    )


def compile_inventory(
    case: Case,
    activity: pd.DataFrame,
    notation: pd.DataFrame,
    library: FactorLibrary,
    progress: Callable[[str], None] | None = None,
) -> InventoryResult:
    """Estimate every category of a case.

    Parameters
    ----------
    case
        The validated case.
    activity
        Activity rows from :func:`openmrv.case.read_activity`.
    notation
        Notation keys from :func:`openmrv.case.read_notation_keys`.
    library
        The factor library (defaults plus the case's country-specific tables).
    progress
        Called with each series' label as it is computed.

    Returns
    -------
    InventoryResult
    """
    series, gaps = build_series(activity, case)
    ctx = Context(library, case, series)
    estimates: list[Estimate] = []
    informational = []
    for s in series.values():
        if progress is not None:
            progress(s.label)
        if s.activity in INFORMATIONAL:
            informational.append(s)
            continue
        estimates.extend(run_series(s, ctx))
    ds = to_dataset(estimates, notation, case)
    ref = reference_approach(series, estimates, ctx)
    return InventoryResult(ds, estimates, ref, gaps, informational)
