"""The pipeline: wires the stages together for ``openmrv run`` (observe -> estimate ->
verify -> report). It computes nothing itself; it calls the public functions of the
stages and writes what each produced into the run folder.

Outputs are written into ``<out>.partial`` and moved into place only when complete,
so an interrupted or failed run never leaves a half-written run folder and never
damages the previous one.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from openmrv import __version__
from openmrv.case import (
    Case,
    load_case,
    read_activity,
    read_activity_uncertainty,
    read_facilities,
    read_notation_keys,
)
from openmrv.dataformat import write_interchange
from openmrv.errors import InputError
from openmrv.estimate.inventory import InventoryResult, compile_inventory
from openmrv.estimate.inventory import keycategories as kca
from openmrv.estimate.inventory.montecarlo import ActivityUncertainty, MonteCarloResult, approach2
from openmrv.estimate.inventory.uncertainty import (
    approach1_table,
    combine_product,
    estimate_rows,
)
from openmrv.factors import FactorLibrary
from openmrv.references import read_references
from openmrv.report import figures, write_reports
from openmrv.verify.external import compare
from openmrv.verify.recalculation import recalculation

Progress = Callable[[str], None]


@dataclass
class UncertaintyResult:
    """Approach 1 and 2 uncertainty and the key category analysis of an inventory."""

    approach1: pd.DataFrame
    approach1_totals: dict[str, float]
    approach2: MonteCarloResult
    key_categories: pd.DataFrame


@dataclass
class InventoryRun:
    """What :func:`run_inventory` produced."""

    case: Case
    result: InventoryResult
    comparison: pd.DataFrame
    out: Path
    files: list[Path]
    uncertainty: UncertaintyResult | None = None


def factor_library(case: Case) -> FactorLibrary:
    """The factor library for a case: packaged tables plus its country-specific ones."""
    return FactorLibrary.default(
        extra=case.factor_files,
        prefer=case.factor_prefer,
        qualifiers=case.qualifiers,
        table_qualifiers=case.qualifiers_by_table,
    )


def estimate_inventory(case: Case, progress: Progress | None = None) -> InventoryResult:
    """Read a case's inputs (checked) and compile its inventory."""
    activity = read_activity(case)
    notation = read_notation_keys(case)
    read_facilities(case)  # validated up front even though the inventory does not use it
    return compile_inventory(case, activity, notation, factor_library(case), progress)


def estimate_uncertainty(
    case: Case,
    result: InventoryResult,
    draws: int | None = None,
    seed: int | None = None,
    client=None,
    progress: Callable[[int, int], None] | None = None,
) -> UncertaintyResult:
    """Approach 1 and 2 (Vol 1 Ch 3) and key categories (Vol 1 Ch 4) of an inventory."""
    unc = ActivityUncertainty(read_activity_uncertainty(case), file=str(case.uncertainty_file))
    years = (case.first_year, case.last_year)
    rows = estimate_rows(result, unc, case.gwp, years)
    rows["G"] = combine_product(rows["E"], rows["F"])
    table, totals = approach1_table(rows)
    mc = approach2(
        result,
        unc,
        case.gwp,
        years,
        n_draws=draws or case.mc_draws,
        chunk_size=case.mc_chunk_size,
        seed=case.mc_seed if seed is None else seed,
        client=client,
        progress=progress,
    )
    return UncertaintyResult(table, totals, mc, key_category_table(rows))


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


def write_uncertainty(run_dir: Path, unc: UncertaintyResult) -> list[Path]:
    """Write the uncertainty and key-category tables into ``run_dir``."""
    files = {
        "uncertainty_approach1.csv": unc.approach1,
        "uncertainty_approach2.csv": unc.approach2.summary,
        "uncertainty_trend.csv": unc.approach2.trend,
        "uncertainty_approach2_by_gas.csv": unc.approach2.gas_summary,
        "key_categories.csv": unc.key_categories,
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
        "years": list(mc.years),
        "gwp": mc.gwp_set,
    }
    (run_dir / "uncertainty.json").write_text(json.dumps(meta, indent=2))
    return [*out, run_dir / "uncertainty.json"]


@dataclass
class PlumeEvidence:
    """Third-party super-emitter evidence for 1.B.2 and its comparison with the inventory."""

    plumes: pd.DataFrame
    by_facility: pd.DataFrame
    top_down: pd.DataFrame
    contributors: pd.DataFrame


def oil_and_gas_facilities(case: Case) -> pd.DataFrame:
    """The facility register's 1.B.2 rows: the sites plumes are attributed to."""
    facilities = read_facilities(case)
    return facilities[facilities["category"].str.startswith("1.B.2")]


def plume_evidence(
    case: Case, result: InventoryResult, facilities: pd.DataFrame | None = None
) -> PlumeEvidence | None:
    """Read the case's plume catalogues, keep the country's plumes, attribute them to the
    facility register and annualise per year: lower-bound top-down rows for 1.B.2 CH4."""
    if not case.plume_catalogues:
        return None
    from openmrv.observe.catalogues import read_plume_catalogue
    from openmrv.observe.region import region_mask
    from openmrv.verify import plumes as pv

    frames = [read_plume_catalogue(p) for p in case.plume_catalogues]
    plumes = pd.concat(frames, ignore_index=True)
    plumes = plumes[
        region_mask(plumes["lon"].to_numpy(), plumes["lat"].to_numpy(), case.country)
    ].reset_index(drop=True)
    if facilities is None:
        facilities = oil_and_gas_facilities(case)
    # only plumes the catalogue labels oil and gas are 1.B.2 evidence (labels mapped in
    # verify/data/plume_source_types.csv); coal, waste, power and unlabelled plumes are not
    plumes = plumes[pv.ipcc_category_of(plumes["source_type"]) == "1.B.2"]
    plumes = pv.attribute(plumes.reset_index(drop=True), facilities)
    by_fac, td_rows, contrib = [], [], []
    evidence = "third-party plume catalogues (annualised)"
    for year in sorted(pd.DatetimeIndex(plumes["time"]).year.unique()):
        annual = pv.annualise(plumes, int(year))
        annual.insert(0, "year", int(year))
        by_fac.append(annual)
        td_rows.append(_annual_evidence(annual, int(year), evidence))
        contrib += _contributors(annual, int(year), evidence)
    top_down = pd.DataFrame(td_rows, columns=list(TOP_DOWN))
    years_ = pd.DatetimeIndex(plumes["time"]).year
    top_down["plumes"] = [int((years_ == y).sum()) for y in top_down["year"]]
    top_down["attributed_share"] = [
        float(a.loc[a["attributed"], "annual_kt"].sum() / a["annual_kt"].sum())
        if a["annual_kt"].sum()
        else 0.0
        for a in by_fac
    ]
    return PlumeEvidence(
        plumes,
        pd.concat(by_fac, ignore_index=True) if by_fac else pd.DataFrame(),
        top_down,
        pd.DataFrame(contrib, columns=list(CONTRIBUTORS)),
    )


#: columns of the top-down rows handed to :func:`openmrv.verify.topdown.compare_topdown`
TOP_DOWN = ("category", "gas", "year", "value_kt", "sigma_kt", "evidence", "kind", "osse")
CONTRIBUTORS = ("category", "gas", "evidence", "year", "name", "value_kt")


def _annual_evidence(annual: pd.DataFrame, year: int, evidence: str) -> tuple:
    """One lower-bound 1.B.2 CH4 row from plumes annualised per facility."""
    return (
        "1.B.2",
        "CH4",
        year,
        float(annual["annual_kt"].sum()),
        float(np.sqrt((annual["annual_sigma_kt"] ** 2).sum())),
        evidence,
        "lower_bound",
        False,
    )


def _contributors(annual: pd.DataFrame, year: int, evidence: str) -> list[tuple]:
    return [
        ("1.B.2", "CH4", evidence, year, f, v)
        for f, v in zip(annual["facility_id"], annual["annual_kt"], strict=True)
    ]


def own_plume_evidence(table: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Top-down rows and contributors from openmrv's own detections (annualised)."""
    from openmrv.plumes_cli import persistence

    annual = persistence(table) if len(table) else pd.DataFrame()
    if annual.empty:
        return pd.DataFrame(columns=list(TOP_DOWN)), pd.DataFrame(columns=list(CONTRIBUTORS))
    evidence = "openmrv plume detections (annualised)"
    rows, contrib = [], []
    for year, part in annual.groupby("year"):
        rows.append(_annual_evidence(part, int(year), evidence))
        contrib += _contributors(part, int(year), evidence)
    top_down = pd.DataFrame(rows, columns=list(TOP_DOWN))
    top_down["plumes"] = [
        int(annual.loc[annual["year"] == y, "detections"].sum()) for y in top_down["year"]
    ]
    return top_down, pd.DataFrame(contrib, columns=list(CONTRIBUTORS))


#: what an OSSE row of verification.csv says before anything else
OSSE_NOTE = (
    "OSSE: synthetic observations from a stated truth, not evidence about the inventory; "
    "it shows what this satellite and method could tell. "
)


def inversion_evidence(case: Case, result: InventoryResult, totals: pd.DataFrame) -> pd.DataFrame:
    """Top-down rows from the inversion's totals: the national total (the country's group)
    as category 0 and each sector the inventory reports; sensitivity = the group's DOFS."""
    cat = result.dataset.attrs["cat"]
    known = set(result.dataset[cat].values.tolist())
    rows = []
    for r in totals.itertuples(index=False):
        category = "0" if r.group == case.country else str(r.group)
        if category not in known:
            continue
        osse = bool(r.osse)
        rows.append(
            {
                "category": category,
                "gas": r.gas,
                "year": int(r.year),
                "value_kt": float(r.posterior_kt),
                "sigma_kt": float(r.posterior_sigma_kt),
                "evidence": "inversion (OSSE, synthetic)" if osse else "inversion",
                "kind": "total",
                "osse": osse,
                "sensitivity": float(r.dofs),
                "sensitivity_measure": "dofs",
            }
        )
    return pd.DataFrame(rows)


def verification(
    case: Case,
    result: InventoryResult,
    unc: UncertaintyResult | None,
    top_down: pd.DataFrame,
    contributors: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every top-down row against the inventory's estimate of the same category and gas
    (its 95 % interval from the Monte Carlo when run): ``verification.csv``.

    Extra columns of ``top_down`` (e.g. ``plumes``) are carried to the output."""
    from openmrv.gwp import gwp
    from openmrv.verify.topdown import co2e_interval_as_gas, compare_topdown

    cat = result.dataset.attrs["cat"]
    mc = unc.approach2.summary.set_index(["category", "year"]) if unc is not None else None
    by_gas = (
        unc.approach2.gas_summary.set_index(["category", "gas", "year"])
        if unc is not None
        else None
    )
    bu_rows = []
    for category, gas, year in (
        top_down[["category", "gas", "year"]].drop_duplicates().itertuples(index=False)
    ):
        inv_year = min(int(year), case.last_year)
        value = float(
            result.dataset[gas].sel({cat: category, "time": str(inv_year)}).values.squeeze()
        )
        low = high = value
        if by_gas is not None and (category, gas, inv_year) in by_gas.index:
            # the Monte Carlo's own distribution of this gas in this category
            r = by_gas.loc[(category, gas, inv_year)]
            low, high = float(r["p2.5"]), float(r["p97.5"])
        elif mc is not None and (category, inv_year) in mc.index:
            r = mc.loc[(category, inv_year)]
            # only CO2e kept for this year: the gas's share of the category's interval
            low, high = co2e_interval_as_gas(
                value, r["mean"], r["p2.5"], r["p97.5"], gwp(gas, case.gwp)
            )
        bu_rows.append((category, gas, inv_year, value, low, high))
    bottom_up = pd.DataFrame(
        bu_rows, columns=["category", "gas", "year", "value_kt", "low_kt", "high_kt"]
    ).drop_duplicates(["category", "gas", "year"])
    table = compare_topdown(bottom_up, top_down.reset_index(drop=True), contributors)
    osse = table["osse"].astype(bool)
    table.loc[osse, "explanation"] = OSSE_NOTE + table.loc[osse, "explanation"]
    extra = [c for c in top_down.columns if c not in TOP_DOWN and c not in table.columns]
    for c in extra:
        table[c] = top_down[c].to_numpy()
    return table


def observations(case: Case, run_dir: Path, scheduler: str | None = None) -> list[Path]:
    """Read the case's satellite files, keep the soundings over the country, and write
    ``observations/soundings.nc``, ``observations/summary.csv`` and a map.

    Files are read on dask.distributed (``scheduler``'s cluster, else a LocalCluster of
    threads for this call); a bad file
    is listed in the summary and does not stop the run. No sounding over the country is
    not an error: the summary says so and no soundings file is written.
    """
    if not case.sounding_files:
        return []
    from openmrv.errors import NoSoundingsError
    from openmrv.observe.batch import ObserveSummary, observe, write_soundings
    from openmrv.observe.cli import plot_soundings

    folder = run_dir / "observations"
    folder.mkdir()
    files: list[Path] = []
    try:
        soundings, summary = observe(
            case.sounding_files,
            region=case.country,
            scheduler=scheduler,
            n_workers=1,
            processes=False,
        )
    except NoSoundingsError as exc:
        soundings, summary = None, getattr(exc, "summary", ObserveSummary())
    table = summary.table()
    table.to_csv(folder / "summary.csv", index=False)
    files.append(folder / "summary.csv")
    if soundings is not None:
        files.append(write_soundings(soundings, folder / "soundings.nc"))
        files.append(plot_soundings(soundings, folder / "soundings_map.png", case.country))
    return files


def own_plumes(
    case: Case, run_dir: Path, facilities: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, list[Path]]:
    """openmrv's own detection and quantification on the case's scenes, attributed to the
    facility register's 1.B.2 sites, whose other sites inside a scene count as neighbouring
    sources (a ``neighbours`` term in the rate's 1-sigma); quick-look figures under
    ``plumes/``."""
    if not case.plume_scenes:
        return pd.DataFrame(), []
    from openmrv.plumes_cli import detect_scenes

    if facilities is None:
        facilities = oil_and_gas_facilities(case)
    return detect_scenes(case.plume_scenes, facilities, out=run_dir, neighbours=facilities)


def top_down_stages(
    case: Case,
    result: InventoryResult,
    unc: UncertaintyResult | None,
    run_dir: Path,
    progress: Progress | None = None,
    full: bool = True,
    client=None,
) -> list[Path]:
    """Observations, plumes (own and third-party), inversion and verification; returns
    the files written. ``full=False`` keeps only the third-party plume evidence;
    ``client``: a dask.distributed client whose cluster reads the satellite files."""
    files: list[Path] = []
    if full and case.sounding_files:
        if progress is not None:
            progress(f"observations: {len(case.sounding_files)} satellite files")
        address = client.scheduler.address if client is not None else None
        files += observations(case, run_dir, address)
    oil_gas = oil_and_gas_facilities(case)  # read once for both plume sources
    evidence = plume_evidence(case, result, oil_gas)
    top_down, contributors = [], []
    if evidence is not None:
        top_down.append(evidence.top_down)
        contributors.append(evidence.contributors)
        for name, frame in (
            ("plumes_thirdparty.csv", evidence.plumes),
            ("plume_evidence_by_facility.csv", evidence.by_facility),
        ):
            frame.to_csv(run_dir / name, index=False)
            files.append(run_dir / name)
    if full and (case.plume_scenes or evidence is not None):
        from openmrv.plumes_cli import write_plume_outputs

        if progress is not None and case.plume_scenes:
            progress(f"plumes: {len(case.plume_scenes)} scenes")
        own, figs = own_plumes(case, run_dir, oil_gas)
        parts = [t for t in (own, None if evidence is None else evidence.plumes) if len(t)]
        table = pd.concat(parts, ignore_index=True) if parts else own
        files += figs + write_plume_outputs(table, run_dir)
        own_td, own_contrib = own_plume_evidence(own)
        if len(own_td):
            top_down.append(own_td)
            contributors.append(own_contrib)
    if full and case.inversion is not None:
        from openmrv.inversion_case import run_case_inversion

        if progress is not None:
            progress("inversion")
        inv = run_case_inversion(case, result, run_dir, progress)
        files += inv.files
        top_down.append(inversion_evidence(case, result, inv.totals))
    if top_down:
        table = verification(
            case,
            result,
            unc,
            pd.concat(top_down, ignore_index=True),
            pd.concat(contributors, ignore_index=True),
        )
        table.to_csv(run_dir / "verification.csv", index=False)
        files.append(run_dir / "verification.csv")
    return files


def _write_netcdf(ds: xr.Dataset, path: Path) -> None:
    enc = {
        name: {"zlib": True, "complevel": 4}
        for name, v in ds.data_vars.items()
        if v.dtype.kind == "f"
    }
    ds.to_netcdf(path, engine="netcdf4", encoding=enc)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _rel(path: Path, root: Path) -> str:
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def recalculation_report(
    previous_run: str | Path, current_run: str | Path
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Compare two run folders (see :func:`openmrv.verify.recalculation.recalculation`)."""
    frames, inputs = [], []
    for run_dir in (Path(previous_run), Path(current_run)):
        for name in ("emissions.csv", "run.json"):
            if not (run_dir / name).is_file():
                raise InputError(
                    f"{name} not found; give a folder written by 'openmrv run'", file=run_dir
                )
        frames.append(pd.read_csv(run_dir / "emissions.csv", keep_default_na=False, na_values=[""]))
        inputs.append(json.loads((run_dir / "run.json").read_text()).get("input_sha256", {}))
    return recalculation(frames[0], frames[1], inputs[0], inputs[1])


def write_inventory(
    run_dir: Path, case: Case, result: InventoryResult, comparison: pd.DataFrame
) -> list[Path]:
    """Write the inventory outputs into ``run_dir`` (which must exist)."""
    files = []
    nc = run_dir / "inventory.nc"
    _write_netcdf(result.dataset, nc)
    files.append(nc)
    files.append(write_interchange(result.dataset, run_dir / "inventory_primap2"))
    files.append(run_dir / "inventory_primap2.csv")
    files.append(run_dir / "inventory_primap2.notation_keys.csv")
    tables = {
        "emissions.csv": result.records(),
        "gap_filling.csv": result.gap_filling,
        "reference_approach.csv": result.reference_approach,
        "comparison.csv": comparison,
    }
    for name, frame in tables.items():
        frame.to_csv(run_dir / name, index=False)
        files.append(run_dir / name)
    meta = {
        "input_sha256": {_rel(p, case.root): _sha256(p) for p in case.inputs()},
        "openmrv_version": __version__,
        "case": case.name,
        "country": case.country,
        "years": [case.first_year, case.last_year],
        "gwp": case.gwp,
        "category_system": case.category_system,
        "qualifiers": case.qualifiers,
        "factor_tables_preferred": case.factor_prefer,
        "inputs": [
            str(p.relative_to(case.root)) if p.is_relative_to(case.root) else str(p)
            for p in case.inputs()
        ],
    }
    (run_dir / "run.json").write_text(json.dumps(meta, indent=2))
    files.append(run_dir / "run.json")
    files.append(figures.emissions_by_sector(result.dataset, run_dir / "emissions_by_sector.png"))
    if not comparison.empty:
        last = int(comparison["year"].max())
        fig = figures.comparison(comparison, last, run_dir / f"comparison_{last}.png")
        if fig is not None:
            files.append(fig)
    return files


def run_inventory(
    case_dir: str | Path,
    out: str | Path,
    progress: Progress | None = None,
    with_uncertainty: bool = False,
    with_top_down: bool = False,
    client=None,
) -> InventoryRun:
    """Run the inventory of a case and write its outputs to ``out``.

    Parameters
    ----------
    case_dir
        Folder holding ``case.yaml``.
    out
        Run folder to create (replaced atomically if it exists).
    progress
        Callback receiving a short text per step.
    """
    case = load_case(case_dir)
    result = estimate_inventory(case, progress)
    refs = read_references(case.references)
    comparison = compare(result.dataset, refs) if len(refs) else pd.DataFrame()
    unc = None
    if with_uncertainty and case.uncertainty_file is not None:
        if progress is not None:
            progress(f"uncertainty: {case.mc_draws:,} Monte Carlo draws")
        unc = estimate_uncertainty(case, result, client=client)
    out = Path(out)
    partial = out.with_name(out.name + ".partial")
    try:
        if partial.exists():
            shutil.rmtree(partial)
        partial.mkdir(parents=True)
    except OSError as exc:
        raise InputError(
            f"cannot create the run folder ({exc}); choose a writable --out", file=out
        ) from None
    try:
        files = write_inventory(partial, case, result, comparison)
        if unc is not None:
            files += write_uncertainty(partial, unc)
        files += top_down_stages(case, result, unc, partial, progress, with_top_down, client)
        files += write_reports(partial, case, result, unc)  # last: the manifest lists all
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    old = out.with_name(out.name + ".old")
    if out.exists():
        out.rename(old)
    partial.rename(out)
    if old.exists():
        shutil.rmtree(old)
    return InventoryRun(
        case, result, comparison, out, [out / f.relative_to(partial) for f in files], unc
    )


def run(
    case_dir: str | Path, out: str | Path, progress: Progress | None = None, client=None
) -> InventoryRun:
    """The whole job for a case: inventory, Monte Carlo uncertainty and key categories
    (when the case gives activity uncertainties), observations, plumes, inversion,
    verification, CRT tables, report and signed manifest (``docs/architecture.md``).

    ``client``: a dask.distributed client; the Monte Carlo chunks and the satellite files
    then run on its cluster (same draws, same outputs). None: this process, and a
    LocalCluster of threads for the satellite files.
    """
    return run_inventory(
        case_dir, out, progress, with_uncertainty=True, with_top_down=True, client=client
    )
