"""The recalculations stage (``openmrv run CASE --previous RUN``): every estimate that
differs from a previous submission's run folder, by category, gas and year, with what
changed (2006 GL Vol 1 Ch 5.4; the CRT's Table 8 asks for the same). Written as
``recalculations.csv`` and shown in the report."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from openmrv import runfolder as rf
from openmrv.errors import InputError
from openmrv.verify.recalculation import recalculation, with_reasons


def check_previous(previous: Path) -> None:
    """Refuse, before anything is computed, a run folder that cannot be compared."""
    for name in (rf.EMISSIONS_CSV, rf.RUN_JSON):
        if not (Path(previous) / name).is_file():
            raise InputError(
                f"{name} not found; give a run folder written by 'openmrv run'",
                file=previous,
            )


def read_run(run_dir: Path) -> tuple[pd.DataFrame, dict[str, str]]:
    """A run folder's ``emissions.csv`` and its inputs' SHA-256 (``run.json``)."""
    try:
        emissions = pd.read_csv(run_dir / rf.EMISSIONS_CSV, keep_default_na=False, na_values=[""])
        meta = json.loads((run_dir / rf.RUN_JSON).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read the run folder ({exc})", file=run_dir) from None
    for col in ("category", "gas", "year", "value_Gg", "factors"):
        if col not in emissions:
            raise InputError(
                f"{rf.EMISSIONS_CSV} has no column {col!r}; give a run folder of openmrv",
                file=run_dir / rf.EMISSIONS_CSV,
                field=col,
            )
    return emissions, meta.get("input_sha256", {})


def compute(previous: Path, current: Path) -> pd.DataFrame:
    """The recalculation table of ``current`` (a run folder being written: its
    ``emissions.csv`` and ``run.json`` exist) against ``previous``."""
    (a, ia), (b, ib) = read_run(Path(previous)), read_run(Path(current))
    a["factors"], b["factors"] = a["factors"].fillna(""), b["factors"].fillna("")
    changes, inputs = recalculation(a, b, ia, ib)
    out = with_reasons(changes, inputs)
    out.insert(0, "previous_run", Path(previous).name)
    return out


def write(table: pd.DataFrame, folder: Path) -> list[Path]:
    path = Path(folder) / rf.RECALCULATIONS_CSV
    table.to_csv(path, index=False)
    return [path]
