"""The improvement-plan stage: what to do about what the run found
(:mod:`openmrv.verify.improvement`); :func:`write` writes ``improvement_plan.csv``.

It gathers the tables the plan reads: the key categories and Approach 1 rows of the
uncertainty stage, the tier of each estimate, the inventory's value and 95 % interval of
each category and gas (:func:`openmrv.verify.evidence.bottom_up_intervals`), the
verification table, and the plume catalogue's annualised sites with their Monte Carlo
draws (the plume stage's, not a new Monte Carlo) and the facility register's names.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from openmrv import runfolder as rf
from openmrv.case import Case, read_facilities
from openmrv.estimate.inventory import InventoryResult
from openmrv.stages.plumes import Plumes
from openmrv.stages.uncertainty import UncertaintyResult
from openmrv.verify import improvement as imp
from openmrv.verify.evidence import bottom_up_intervals


def _intervals(
    result: InventoryResult, unc: UncertaintyResult, keys: pd.DataFrame, year: int, gwp_set: str
) -> pd.DataFrame:
    keys = keys[["category", "gas"]].drop_duplicates().assign(year=year)
    known = set(result.dataset[result.dataset.attrs["cat"]].values.tolist())
    keys = keys[keys["category"].isin(known)]
    mc = unc.approach2
    out = bottom_up_intervals(result.dataset, keys, year, gwp_set, mc.summary, mc.gas_summary)
    # the Monte Carlo keeps aggregate categories only: below them, Approach 1's +/- G
    kept = set(zip(mc.gas_summary["category"].astype(str), mc.gas_summary["gas"], strict=True))
    g = unc.key_categories.set_index(["category", "gas"])["uncertainty_pct"]
    for i, r in out.iterrows():
        if (r["category"], r["gas"]) not in kept and (r["category"], r["gas"]) in g.index:
            lo, hi = imp.approach1_interval(
                float(r["value_kt"]), float(g[(r["category"], r["gas"])])
            )
            out.loc[i, ["low_kt", "high_kt"]] = [lo, hi]
    return out


def _plume_parts(
    case: Case, plumes: Plumes | None, inv: pd.DataFrame, year: int
) -> list[pd.DataFrame]:
    """The site and what-if rows from the catalogue's latest year with annualised sites."""
    cat = None if plumes is None else plumes.catalogue
    if cat is None or not cat.annual:
        return []
    years = [y for y, a in cat.annual.items() if a.draws is not None]
    if not years:
        return []
    plume_year = max(years)
    annual = cat.annual[plume_year]
    label = str(cat.top_down.loc[cat.top_down["year"] == plume_year, "evidence"].iloc[0])
    persistent = imp.persistent_sites(annual.sites)
    register = read_facilities(case)
    names = register.astype({"facility_id": str}).set_index("facility_id")["name"].to_dict()
    parts = [imp.site_rows(persistent, names, label, plume_year)]
    values = inv.set_index(["category", "gas"])
    need = [("1.B.2", "CH4"), (imp.NATIONAL, "CH4")]
    if len(persistent) and all(k in values.index for k in need):
        draws = imp.persistent_sum(annual.draws, annual.draw_sites, persistent["facility_id"])
        cols = ("value_kt", "low_kt", "high_kt")
        b, n = (tuple(float(values.loc[k, c]) for c in cols) for k in need)
        parts.append(imp.what_if_rows(persistent, draws, b, n, label, plume_year, year))
    return parts


def compute(
    case: Case,
    result: InventoryResult,
    unc: UncertaintyResult,
    verification: pd.DataFrame | None,
    plumes: Plumes | None,
) -> pd.DataFrame:
    """The improvement plan of the case's latest inventory year
    (:data:`openmrv.verify.improvement.PLAN_COLUMNS`)."""
    year = case.last_year
    records = result.records()
    tiers = records.loc[records["year"] == year, ["category", "gas", "tier"]]
    kc = unc.key_categories
    extra = pd.DataFrame({"category": ["1.B.2", imp.NATIONAL], "gas": ["CH4", "CH4"]})
    inv = _intervals(result, unc, pd.concat([kc[["category", "gas"]], extra]), year, case.gwp)
    rows = imp.category_rows(kc, tiers, unc.approach1, inv, verification, year)
    return imp.assemble(rows, *_plume_parts(case, plumes, inv, year))


def write(plan: pd.DataFrame, run_dir: Path) -> list[Path]:
    """Write ``improvement_plan.csv``."""
    plan.to_csv(run_dir / rf.IMPROVEMENT_PLAN_CSV, index=False)
    return [run_dir / rf.IMPROVEMENT_PLAN_CSV]
