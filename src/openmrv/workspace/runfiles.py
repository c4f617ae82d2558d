"""Reading a finished run's folder for the screens: the run checked to belong to the case
and to be done, its files read as the run wrote them (no number is recomputed here beyond
sums up the IPCC tree and the GWP weighting of :mod:`openmrv.gwp`)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
from sqlalchemy.orm import Session

from openmrv.case import load_case
from openmrv.errors import InputError
from openmrv.runfolder import spec as rf
from openmrv.stages.inventory import factor_library
from openmrv.workspace import versions
from openmrv.workspace.errors import ConflictError, NotFoundError
from openmrv.workspace.models import InventoryVersion, RunRecord


def done_run(db: Session, case_id: int, run_id: int) -> Path:
    """The folder of a finished run of ``case_id`` (404 if none, 409 if not done)."""
    got = versions.run_status(db, case_id, run_id)
    if got["state"] != "done":
        raise ConflictError(f"run {run_id} is {got['state']}; its files are read once it is done")
    return Path(got["folder"])


def case_dir(db: Session, run_id: int) -> Path:
    """The case folder a run read: the approved snapshot, or the working copy exported for it."""
    run = db.get(RunRecord, run_id)
    if run.inventory_version_id is not None:
        return Path(db.get(InventoryVersion, run.inventory_version_id).snapshot_path)
    return Path(run.folder).parent / "case"


def read_csv(folder: Path, name: str, required: bool = True) -> pd.DataFrame | None:
    """A CSV of the run folder as written (empty cells as NaN); None if absent and optional."""
    path = folder / name
    if not path.is_file():
        if required:
            raise NotFoundError(f"this run wrote no {name}")
        return None
    return pd.read_csv(path, keep_default_na=False, na_values=[""])


def run_json(folder: Path) -> dict:
    """The run's ``run.json`` (case settings: GWP set, category system, ...)."""
    return json.loads((folder / rf.RUN_JSON).read_text())


def factors_by_id(folder: Path, case_folder: Path, ids: set[str]) -> dict[str, object]:
    """The factor rows ``ids`` (``table:line``) from the library of the run's case."""
    try:
        lib = factor_library(load_case(case_folder))
    except (InputError, OSError) as exc:
        raise NotFoundError(f"the case of this run cannot be read: {exc}") from None
    return {f.id: f for f in lib.factors if f.id in ids}


def fmt(value: object, digits: int = 3) -> str:
    """A number as the screens show it (thousands separated), blank for a missing one."""
    if value is None or value == "":
        return ""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return str(value)
    return "" if math.isnan(x) else f"{x:,.{digits}f}"
