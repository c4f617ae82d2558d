"""The emissions dataset of the estimates and the reference approach (Vol 2 Ch 6)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from openmrv import categories as cats
from openmrv.dataformat import ensure_valid, year_index
from openmrv.errors import CaseError
from openmrv.estimate.inventory import (
    energy,
)
from openmrv.estimate.inventory.estimates import (
    Estimate,
    Series,
)
from openmrv.estimate.inventory.registry import (
    Context,
    _as,
    _fraction,
    _scale,
)
from openmrv.factors import Factor
from openmrv.gases import gases_present
from openmrv.gwp import gwp
from openmrv.settings import InventorySettings


def _on_years(est: Estimate, settings: InventorySettings) -> np.ndarray:
    yrs = est.series.years
    sel = (yrs >= settings.first_year) & (yrs <= settings.last_year)
    return est.values[sel]


def to_dataset(
    estimates: list[Estimate], notation: pd.DataFrame, settings: InventorySettings, title: str = ""
) -> xr.Dataset:
    """Emissions dataset (``docs/data-format.md``) with hierarchy totals and notation keys."""
    n_years = len(settings.years)
    # CO2, CH4, N2O always; an F-gas (2.F) only where an estimate or a notation key has it
    gases = gases_present({e.gas for e in estimates} | set(notation["gas"]))
    per_gas: dict[str, dict[str, np.ndarray]] = {g: {} for g in gases}
    tiers: dict[str, dict[str, np.ndarray]] = {g: {} for g in gases}
    for est in estimates:
        vals = _on_years(est, settings)
        acc = per_gas[est.gas].get(est.category)
        per_gas[est.gas][est.category] = vals if acc is None else acc + vals
        prev = tiers[est.gas].get(est.category)
        t = est.tier[
            (est.series.years >= settings.first_year) & (est.series.years <= settings.last_year)
        ]
        tiers[est.gas][est.category] = t if prev is None else np.maximum(prev, t)
    nk_cells: dict[tuple[str, str], str] = {}
    for rec in notation.itertuples():
        if rec.category in per_gas[rec.gas]:
            raise CaseError(
                f"category {rec.category} {rec.gas} has both estimates and the "
                f"notation key {rec.notation_key}; remove one",
                file=str(settings.notation_file),
                field="notation_key",
            )
        nk_cells[(rec.category, rec.gas)] = rec.notation_key
    totals = {
        g: cats.aggregate(per_gas[g], settings.category_system) if per_gas[g] else {} for g in gases
    }
    codes = set()
    for g in gases:
        codes |= set(totals[g])
    codes |= {c for c, _ in nk_cells}
    for c, _ in list(nk_cells):
        codes |= set(cats.ancestors(c, settings.category_system))
    codes_sorted = cats.sort_codes(codes)
    cat_dim = f"category ({settings.category_system})"
    dims = ("time", "area (ISO3)", cat_dim, "source")
    shape = (n_years, 1, len(codes_sorted), 1)
    data_vars = {}
    kyoto = np.zeros(shape)
    kyoto_has = np.zeros(shape, dtype=bool)
    for g in gases:
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
        kyoto += np.nan_to_num(arr) * gwp(g, settings.gwp)
        kyoto_has |= ~np.isnan(arr)
    name = f"KYOTOGHG ({settings.gwp})"
    data_vars[name] = xr.DataArray(
        np.where(kyoto_has, kyoto, np.nan),
        dims=dims,
        attrs={"entity": "KYOTOGHG", "units": "Gg CO2 / yr", "gwp_context": settings.gwp},
    )
    ds = xr.Dataset(
        data_vars,
        coords={
            "time": year_index(settings.years),
            "area (ISO3)": [settings.country],
            cat_dim: codes_sorted,
            "source": [f"openmrv-{settings.name}"],
        },
        attrs={
            "area": "area (ISO3)",
            "cat": cat_dim,
            "title": title or f"{settings.name}: national GHG inventory (openmrv)",
            "references": "IPCC 2006 Guidelines and 2019 Refinement; see factor_sources",
            "institution": "openmrv",
            "comment": f"GWP set {settings.gwp}",
            "gwp_context": settings.gwp,
        },
    )
    return ensure_valid(ds)


def reference_approach(
    series: dict[tuple[str, str, str], Series], estimates: list[Estimate], ctx: Context
) -> pd.DataFrame:
    """Reference approach CO2 (Vol 2 Ch 6 Eq. 6.1) beside the sectoral approach, per fuel
    family (liquid, solid, gaseous: crude oil there, its products here)."""
    settings = ctx.settings
    n = len(settings.years)
    sectoral: dict[str, np.ndarray] = {}
    for est in estimates:
        if est.gas == "CO2" and est.series.activity == "fuel_consumption":
            fam = energy.fuel_family(est.series.key)
            sectoral[fam] = sectoral.get(fam, np.zeros(n)) + _on_years(est, settings)
    reference: dict[str, np.ndarray] = {}
    consumed: dict[str, np.ndarray] = {}  # apparent consumption [TJ]
    used: dict[str, list[Factor]] = {}
    c2co2 = ctx.find("C_to_CO2", "*")
    for (cat, act, key), s in series.items():
        if act != "apparent_consumption":
            continue
        cc, cof = ctx.find("CC", cat, key=key), ctx.find("COF", cat, key=key)
        sel = s.years >= settings.first_year
        tj = s.values[sel] * _scale(s.unit, (), "TJ")
        excluded = np.zeros_like(tj)
        for fs in ctx.siblings(cat, "feedstock_use"):
            if fs.key == key:
                fs_tj = fs.values[fs.years >= settings.first_year] * _scale(fs.unit, (), "TJ")
                excluded += fs_tj * _as(cc, "t C / TJ") * 1e-3
        co2 = energy.reference_approach_co2(
            tj, _as(cc, "t C / TJ"), excluded, _as(c2co2, "t CO2 / (t C)"), _fraction(cof)
        )
        if not np.isfinite(co2).all():  # a guard: the readers' plausible ranges forbid it
            raise CaseError(
                f"reference approach CO2 of {cat} / {key} is not finite (overflow); check "
                "its apparent consumption and feedstock use for an implausibly large number",
                file=s.refs[0].rsplit(":", 1)[0],
                field="value",
            )
        fam = energy.fuel_family(key)
        reference[fam] = reference.get(fam, np.zeros(n)) + co2
        consumed[fam] = consumed.get(fam, np.zeros(n)) + tj
        used.setdefault(fam, []).extend([cc, cof, c2co2])
    rows = []
    for fam, ra in reference.items():
        sa = sectoral.get(fam, np.full(n, np.nan))
        ids = ";".join(dict.fromkeys(f.id for f in used[fam]))
        for y, r, s_, tj in zip(settings.years, ra, sa, consumed[fam], strict=True):
            rows.append(
                {
                    "fuel_family": fam,
                    "year": y,
                    "reference_Gg_CO2": float(r),
                    "sectoral_Gg_CO2": float(s_),
                    "difference_pct": float(100 * (r - s_) / s_) if s_ else np.nan,
                    "factors": ids,
                    "apparent_consumption_TJ": float(tj),
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
            "apparent_consumption_TJ",
        ],
    )
