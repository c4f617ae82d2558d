"""The verification stage: every top-down evidence row against the inventory's estimate of
the same category and gas (2019 Refinement Vol 1 Ch 6), by
:func:`openmrv.verify.topdown.compare_topdown`; :func:`write` writes
``verification.csv``."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from openmrv import runfolder as rf
from openmrv.case import Case
from openmrv.estimate.inventory import InventoryResult
from openmrv.stages.uncertainty import UncertaintyResult
from openmrv.verify.evidence import EVIDENCE_COLUMNS, OSSE_NOTE, bottom_up_intervals
from openmrv.verify.published import (
    compare_published,
    published_evidence,
    read_published,
)
from openmrv.verify.topdown import compare_topdown


def compute(
    result: InventoryResult,
    last_year: int,
    gwp_set: str,
    unc: UncertaintyResult | None,
    top_down: pd.DataFrame,
    contributors: pd.DataFrame | None = None,
    published: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every top-down row against the inventory's estimate of the same category and gas
    (its 95 % interval from the Monte Carlo when run; a year after ``last_year`` compares
    with ``last_year``).

    Extra columns of ``top_down`` (e.g. ``plumes``) are carried to the output.
    ``published``: published estimates (:func:`openmrv.verify.published.published_evidence`),
    each compared on its own inventory basis (:func:`~openmrv.verify.published.compare_published`)
    and appended."""
    summary = None if unc is None else unc.approach2.summary
    gas_summary = None if unc is None else unc.approach2.gas_summary
    tables = []
    if len(top_down):
        bottom_up = bottom_up_intervals(
            result.dataset, top_down, last_year, gwp_set, summary, gas_summary
        )
        table = compare_topdown(bottom_up, top_down.reset_index(drop=True), contributors)
        osse = table["osse"].astype(bool)
        table.loc[osse, "explanation"] = OSSE_NOTE + table.loc[osse, "explanation"]
        # the interval and the note are already in top_down_low/high_kt and the explanation
        used = {"low_kt", "high_kt", "note"}
        extra = [
            c
            for c in top_down.columns
            if c not in EVIDENCE_COLUMNS and c not in table.columns and c not in used
        ]
        for c in extra:
            table[c] = top_down[c].to_numpy()
        tables.append(table)
    if published is not None and len(published):
        tables.append(
            compare_published(published, result.dataset, last_year, gwp_set, summary, gas_summary)
        )
    tables = [t for t in tables if len(t)]
    return pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()


def published_rows(case: Case) -> pd.DataFrame:
    """The case country's published estimates as evidence rows (``top_down:
    published_estimates``: the package table by default, a case file, or off); empty when
    off or when the table has no row for the country."""
    if not case.published_estimates:
        return pd.DataFrame()
    table = read_published(case.published_estimates_file)
    return published_evidence(table, case.country, case.years)


def write(table: pd.DataFrame, run_dir: Path) -> list[Path]:
    """Write ``verification.csv``."""
    table.to_csv(run_dir / rf.VERIFICATION_CSV, index=False)
    return [run_dir / rf.VERIFICATION_CSV]
