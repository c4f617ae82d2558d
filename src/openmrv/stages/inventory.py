"""The inventory stage: a case's inputs (checked) compiled into the emissions dataset by
the IPCC methods of :mod:`openmrv.estimate.inventory`, compared with third-party
estimates; :func:`write` writes the inventory outputs of the run folder."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import xarray as xr

from openmrv import __version__
from openmrv import runfolder as rf
from openmrv.case import Case, read_activity, read_facilities
from openmrv.dataformat import write_interchange
from openmrv.estimate.inventory import InventoryResult, compile_inventory
from openmrv.estimate.inventory.timeseries import held_constant_warnings
from openmrv.factors import FactorLibrary
from openmrv.notation import read_notation_keys
from openmrv.references import read_references
from openmrv.report import figures
from openmrv.runfolder.cf import cf_ready
from openmrv.verify.external import compare

Progress = Callable[[str], None]


@dataclass
class InventoryOutput:
    """The compiled inventory and its comparison with third-party estimates."""

    result: InventoryResult
    comparison: pd.DataFrame


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
    return compile_inventory(
        case.inventory_settings, activity, notation, factor_library(case), progress
    )


def compute(case: Case, progress: Progress | None = None) -> InventoryOutput:
    """The inventory of a case and its comparison with the case's reference estimates."""
    result = estimate_inventory(case, progress)
    refs = read_references(case.references)
    comparison = compare(result.dataset, refs) if len(refs) else pd.DataFrame()
    return InventoryOutput(result, comparison)


def _write_netcdf(ds: xr.Dataset, path: Path) -> None:
    enc = {
        name: {"zlib": True, "complevel": 4}
        for name, v in ds.data_vars.items()
        if v.dtype.kind == "f"
    }
    out, enc = cf_ready(ds, "inventory", enc)
    for name, v in out.data_vars.items():
        # primap2's ensure_valid() wants an entity on every variable, the notation-key
        # and tier variables too (docs/data-format.md)
        v.attrs.setdefault("entity", name)
    out.to_netcdf(path, engine="netcdf4", encoding=enc)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _rel(path: Path, root: Path) -> str:
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def write(inv: InventoryOutput, case: Case, run_dir: Path) -> list[Path]:
    """Write the inventory outputs into ``run_dir`` (which must exist)."""
    result, comparison = inv.result, inv.comparison
    files = []
    nc = run_dir / rf.INVENTORY_NC
    _write_netcdf(result.dataset, nc)
    files.append(nc)
    files.append(write_interchange(result.dataset, run_dir / rf.INTERCHANGE_STEM))
    files.append(run_dir / rf.INTERCHANGE_CSV)
    files.append(run_dir / rf.INTERCHANGE_NOTATION_KEYS)
    tables = {
        rf.EMISSIONS_CSV: result.records(),
        rf.GAP_FILLING_CSV: result.gap_filling,
        rf.REFERENCE_APPROACH_CSV: result.reference_approach,
        rf.COMPARISON_CSV: comparison,
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
        "inputs": [_rel(p, case.root) for p in case.inputs()],
        "warnings": held_constant_warnings(result.gap_filling, case.first_year, case.last_year),
    }
    (run_dir / rf.RUN_JSON).write_text(json.dumps(meta, indent=2))
    files.append(run_dir / rf.RUN_JSON)
    files.append(figures.emissions_by_sector(result.dataset, run_dir / rf.EMISSIONS_BY_SECTOR_PNG))
    if not comparison.empty:
        last = int(comparison["year"].max())
        fig = figures.comparison(comparison, last, run_dir / f"comparison_{last}.png")
        if fig is not None:
            files.append(fig)
    return files
