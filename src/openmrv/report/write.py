"""Writing a run's reports: the activity table, the CRT tables, the BTR-ready report, the
national inventory document (:mod:`openmrv.report.nid`) and the signed provenance manifest
(:func:`write_reports`), and the run settings the manifest records (:func:`run_settings`).
Kept apart from the package so that importing a light part of :mod:`openmrv.report` (the
keyring, the manifest) loads no tables or figures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from openmrv import runfolder as rf
from openmrv.overlap import alongside
from openmrv.report.background import activity_table, background_tables
from openmrv.report.btr import write_btr
from openmrv.report.crt import crt_tables, write_crt_json, write_crt_xlsx
from openmrv.report.manifest import packaged_inputs, sha256_file, write_manifest
from openmrv.report.nid import write_nid
from openmrv.report.nid_text import case_texts, write_texts

__all__ = ["PDF_HOWTO", "pdf_status", "run_settings", "write_reports"]

#: How to get the PDF when none was made (said on the console and in run.json).
PDF_HOWTO = (
    "report.html and nid.html are complete; for report.pdf and nid.pdf install Chromium "
    "(Debian/Ubuntu: 'apt install chromium'; or put 'chromium' on PATH) and run again or "
    "run 'openmrv report RUN --out DIR', or print the HTML to PDF (A4) from a browser"
)


def pdf_status(run_dir: Path, pdf: bool, warnings: list[str]) -> str:
    """What became of ``report.pdf`` and ``nid.pdf``: ``written``, not requested, or why
    not and how to get them (recorded in ``run.json`` as ``report_pdf``)."""
    run = Path(run_dir)
    nid_done = (run / rf.NID_PDF).is_file() or not (run / rf.NID_HTML).is_file()
    if (run / rf.REPORT_PDF).is_file() and nid_done:
        return "written"
    if not pdf:
        return "not written: not requested (--no-pdf)"
    prefixes = ("report.pdf not written", "nid.pdf not written")
    why = next((w for w in warnings if w.startswith(prefixes)), "no PDF")
    return f"{why}. {PDF_HOWTO}"


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


def _notation_keys(case: Any) -> pd.DataFrame | None:
    """The case's notation keys with their explanations (checked when the case loaded)."""
    path = getattr(case, "notation_file", None)
    if path is None:
        return None
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame.apply(lambda col: col.str.strip())


def _recalculations(run_dir: Path) -> pd.DataFrame | None:
    """The run's ``recalculations.csv`` (written before the reports when the run had
    ``--previous RUN``), else None."""
    path = run_dir / rf.RECALCULATIONS_CSV
    return pd.read_csv(path, keep_default_na=False, na_values=[""]) if path.is_file() else None


def write_reports(
    run_dir: str | Path, case: Any, result: Any, uncertainty: Any = None, *, pdf: bool = True
) -> list[Path]:
    """Write the activity table, the CRT tables, the BTR-ready report and the signed
    provenance manifest into a run folder.

    Call it last, when every other output is in ``run_dir``: the report shows what the
    folder holds (its satellite annex only the parts present) and the manifest lists
    every file there. Warnings (e.g. no PDF because Chromium is missing) are added to
    ``run.json`` under ``warnings``.

    Parameters
    ----------
    run_dir
        The run folder (the run's temporary folder is fine: paths are relative).
    case
        The :class:`~openmrv.case.Case` of the run.
    result
        The :class:`~openmrv.estimate.inventory.InventoryResult` (its ``dataset``).
    uncertainty
        The run's ``UncertaintyResult`` (``approach1``, ``key_categories``,
        ``approach2``), if computed: adds the uncertainty and key-category tables.

    pdf
        Print ``report.pdf`` with headless Chromium when it is installed.

    Returns
    -------
    list of Path
        ``activity.csv``, ``crt.xlsx``, ``crt.json``, ``report.html`` (+ ``report.pdf``,
        ``nid_texts.json``, ``nid.html`` (+ ``nid.pdf``),
        ``verification.png``, ``plumes_map.png``, ``plumes_persistence.png`` when made),
        ``manifest.json``,
        ``manifest.sig``. The signing key is chosen as
        :func:`openmrv.report.manifest.load_or_create_key` describes.
    """
    run_dir = Path(run_dir)
    activity = activity_table(result)
    activity.to_csv(run_dir / rf.ACTIVITY_CSV, index=False)
    tables = crt_tables(
        result.dataset,
        key_categories=None if uncertainty is None else uncertainty.key_categories,
        uncertainty=None if uncertainty is None else uncertainty.approach1,
        notation=_notation_keys(case),
        records=result.records(),
        activity=activity,
        recalculations=_recalculations(run_dir),
        reference=result.reference_approach,
    )
    gwp_set = next(iter(tables.values())).attrs.get("gwp_set")
    for name, frame in background_tables(result.dataset, result.records(), activity).items():
        frame.attrs.update(gwp_set=gwp_set, sheet=name)
        tables[name] = frame
    # the report reads crt.json; crt.xlsx (openpyxl, the larger) is written while the
    # report is rendered and Chromium prints it (a subprocess): same bytes, less wait
    json_path = write_crt_json(tables, run_dir / rf.CRT_JSON)
    texts = write_texts(run_dir, case_texts(Path(case.root), getattr(case, "nid_texts", {})))
    with alongside(write_crt_xlsx, tables, run_dir / rf.CRT_XLSX):
        report_files, warnings = write_btr(run_dir, pdf=pdf)
        nid_files, nid_warnings = write_nid(run_dir, pdf=pdf)  # after report.html: reads it
    warnings += nid_warnings
    files = [run_dir / rf.ACTIVITY_CSV, run_dir / rf.CRT_XLSX, json_path, *report_files]
    files += [texts, *nid_files]
    meta_path = run_dir / rf.RUN_JSON
    if meta_path.is_file():
        meta = json.loads(meta_path.read_text())
        meta["warnings"] = [*meta.get("warnings", []), *warnings]
        meta["report_pdf"] = pdf_status(run_dir, pdf, warnings)
        if not meta["warnings"]:
            del meta["warnings"]
        meta_path.write_text(json.dumps(meta, indent=2))
    root = Path(case.root)
    inputs = {
        (p.relative_to(root).as_posix() if p.is_relative_to(root) else str(p)): sha256_file(p)
        for p in case.inputs()
    }
    inputs.update(packaged_inputs())
    files += write_manifest(run_dir, inputs, run_settings(case, uncertainty), inputs_root=root)
    return files
