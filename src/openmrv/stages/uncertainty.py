"""The uncertainty stage: Approach 1 and 2 (IPCC 2006 Vol 1 Ch 3) and the key category
analysis (Vol 1 Ch 4) of a compiled inventory.

:func:`approach1_rows` is the one place the Approach 1 rows are built (the run, the
``keycategories`` command and the inversion's sector prior errors use it);
:func:`compute` adds the Monte Carlo and the key categories; :func:`write` writes the
tables.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from openmrv import runfolder as rf
from openmrv.case import Case, read_activity_uncertainty
from openmrv.errors import InputError
from openmrv.estimate.inventory import InventoryResult
from openmrv.estimate.inventory import keycategories as kca
from openmrv.estimate.inventory.montecarlo import ActivityUncertainty, MonteCarloResult, approach2
from openmrv.estimate.inventory.uncertainty import approach1_table, combine_product, estimate_rows


@dataclass
class UncertaintyResult:
    """Approach 1 and 2 uncertainty and the key category analysis of an inventory."""

    approach1: pd.DataFrame
    approach1_totals: dict[str, float]
    approach2: MonteCarloResult
    key_categories: pd.DataFrame
    #: the Approach 1 rows (one per estimate; columns of ``estimate_rows`` plus G)
    rows: pd.DataFrame | None = None


def activity_uncertainty(case: Case) -> ActivityUncertainty:
    """The case's activity-data uncertainties, read and checked."""
    if case.uncertainty_file is None:
        raise InputError(
            "the case gives no activity uncertainties; add uncertainty: file: to case.yaml",
            file=case.config_file,
            field="uncertainty",
        )
    return ActivityUncertainty(read_activity_uncertainty(case), file=str(case.uncertainty_file))


def approach1_rows(
    case: Case,
    result: InventoryResult,
    years: tuple[int, int] | None = None,
    unc: ActivityUncertainty | None = None,
) -> pd.DataFrame:
    """Approach 1 rows (Vol 1 Ch 3, Table 3.2: one per estimate, base year and ``years[1]``)
    with the combined uncertainty ``G`` (Eq. 3.1 of E and F)."""
    unc = activity_uncertainty(case) if unc is None else unc
    years = (case.first_year, case.last_year) if years is None else years
    rows = estimate_rows(result, unc, case.gwp, years)
    rows["G"] = combine_product(rows["E"], rows["F"])
    return rows


def compute(
    case: Case,
    result: InventoryResult,
    draws: int | None = None,
    seed: int | None = None,
    client=None,
    progress: Callable[[int, int], None] | None = None,
    rows: pd.DataFrame | None = None,
) -> UncertaintyResult:
    """Approach 1 and 2 (Vol 1 Ch 3) and key categories (Vol 1 Ch 4) of an inventory.

    ``draws``, ``seed``: the Monte Carlo's (default: the case's); ``client``: a
    dask.distributed client whose cluster runs the chunks (None: this process);
    ``rows``: the Approach 1 rows of (first year, last year) when already computed
    (:func:`approach1_rows`)."""
    unc = activity_uncertainty(case)
    years = (case.first_year, case.last_year)
    if rows is None:
        rows = approach1_rows(case, result, years, unc)
    table, totals = approach1_table(rows)
    mc = approach2(
        result,
        unc,
        case.gwp,
        years,
        n_draws=case.mc_draws if draws is None else draws,
        chunk_size=case.mc_chunk_size,
        seed=case.mc_seed if seed is None else seed,
        client=client,
        progress=progress,
    )
    return UncertaintyResult(table, totals, mc, key_category_table(rows), rows)


def key_category_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Approach 1 and 2 key categories, level and trend, with qualitative flags."""
    cg = kca.by_category_gas(rows)
    out = cg[["category", "gas", "C", "D", "G"]].rename(
        columns={"C": "base_year_Gg_CO2e", "D": "latest_year_Gg_CO2e", "G": "uncertainty_pct"}
    )
    for name, fn, unc in (
        ("level_a1", kca.level_assessment, None),
        ("trend_a1", kca.trend_assessment, None),
        ("level_a2", kca.level_assessment, cg["G"]),
        ("trend_a2", kca.trend_assessment, cg["G"]),
    ):
        ranked = fn(cg, unc).set_index(["category", "gas"])
        idx = list(zip(cg["category"], cg["gas"], strict=True))
        out[f"{name}_share"] = ranked.loc[idx, "share"].to_numpy()
        out[f"{name}_key"] = ranked.loc[idx, "key"].to_numpy()
    out["key_category"] = out[[c for c in out if c.endswith("_key")]].any(axis=1)
    out["qualitative_flags"] = kca.qualitative_flags(cg, cg["G"]).to_numpy()
    return out.sort_values("level_a1_share", ascending=False).reset_index(drop=True)


def write(unc: UncertaintyResult, run_dir: Path) -> list[Path]:
    """Write the uncertainty and key-category tables into ``run_dir``."""
    files = {
        rf.UNCERTAINTY_APPROACH1_CSV: unc.approach1,
        rf.UNCERTAINTY_APPROACH2_CSV: unc.approach2.summary,
        rf.UNCERTAINTY_TREND_CSV: unc.approach2.trend,
        rf.UNCERTAINTY_APPROACH2_BY_GAS_CSV: unc.approach2.gas_summary,
        rf.KEY_CATEGORIES_CSV: unc.key_categories,
    }
    out = []
    for name, frame in files.items():
        frame.to_csv(run_dir / name, index=False)
        out.append(run_dir / name)
    mc = unc.approach2
    meta = {
        "approach1": unc.approach1_totals,
        "approach2_draws": mc.n_draws,
        "approach2_seed": mc.seed,
        "approach2_convergence": mc.convergence,
        # each percentile is within this fraction of its 95 % interval of numpy's
        # percentile of all the draws (streaming histograms, estimate/inventory/mcstream.py)
        "approach2_percentile_bound_of_interval": mc.quantile_bound,
        "years": list(mc.years),
        "gwp": mc.gwp_set,
    }
    (run_dir / rf.UNCERTAINTY_JSON).write_text(json.dumps(meta, indent=2))
    return [*out, run_dir / rf.UNCERTAINTY_JSON]
