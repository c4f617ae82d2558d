"""Reporting: renders what the other stages computed (figures, the Common Reporting Tables
in :mod:`openmrv.report.crt`, the signed provenance manifest in
:mod:`openmrv.report.manifest`; the BTR report as it lands). It computes no new estimates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openmrv.report.crt import crt_tables, write_crt_json, write_crt_xlsx
from openmrv.report.manifest import packaged_inputs, sha256_file, write_manifest

__all__ = ["run_settings", "write_reports"]


def run_settings(case: Any, uncertainty: Any = None) -> dict[str, Any]:
    """The settings of a run recorded in its manifest (case settings, Monte Carlo)."""
    out: dict[str, Any] = {
        "case": case.name,
        "country": case.country,
        "years": [case.first_year, case.last_year],
        "gwp": case.gwp,
        "category_system": case.category_system,
        "qualifiers": dict(case.qualifiers),
        "qualifiers_by_table": {k: dict(v) for k, v in case.qualifiers_by_table.items()},
        "factor_tables_preferred": list(case.factor_prefer),
        "gap_filling": case.gap_filling,
    }
    if uncertainty is not None:
        mc = uncertainty.approach2
        out["uncertainty"] = {
            "approach2_draws": mc.n_draws,
            "approach2_seed": mc.seed,
            "chunk_size": case.mc_chunk_size,
        }
    return out


def write_reports(
    run_dir: str | Path, case: Any, result: Any, uncertainty: Any = None
) -> list[Path]:
    """Write the CRT tables and the signed provenance manifest into a run folder.

    Call it last, when every other output is in ``run_dir``: the manifest lists every file
    there.

    Parameters
    ----------
    run_dir
        The run folder (the pipeline's ``<out>.partial`` is fine: paths are relative).
    case
        The :class:`~openmrv.case.Case` of the run.
    result
        The :class:`~openmrv.estimate.inventory.InventoryResult` (its ``dataset``).
    uncertainty
        The run's ``UncertaintyResult`` (``approach1``, ``key_categories``,
        ``approach2``), if computed: adds the uncertainty and key-category tables.

    Returns
    -------
    list of Path
        ``crt.xlsx``, ``crt.json``, ``manifest.json``, ``manifest.sig``. The signing key
        is chosen as :func:`openmrv.report.manifest.load_or_create_key` describes.
    """
    run_dir = Path(run_dir)
    tables = crt_tables(
        result.dataset,
        key_categories=None if uncertainty is None else uncertainty.key_categories,
        uncertainty=None if uncertainty is None else uncertainty.approach1,
    )
    files = [
        write_crt_xlsx(tables, run_dir / "crt.xlsx"),
        write_crt_json(tables, run_dir / "crt.json"),
    ]
    root = Path(case.root)
    inputs = {
        (p.relative_to(root).as_posix() if p.is_relative_to(root) else str(p)): sha256_file(p)
        for p in case.inputs()
    }
    inputs.update(packaged_inputs())
    files += write_manifest(run_dir, inputs, run_settings(case, uncertainty), inputs_root=root)
    return files
