"""Render a run folder's documents again, beside it, without re-running the pipeline
(``openmrv report RUN --out DIR``): after an update of openmrv's report, or to get the
PDF on a machine that has Chromium.

The run folder is never written to: it stays as it was signed. It is copied to a
temporary folder, the report (``report.html``, ``report.pdf`` and the figures the report
draws from the folder's tables) and the national inventory document (``nid.html``,
``nid.pdf``, with the case texts the run folder kept in ``nid_texts.json``) are rendered
there, and the documents are moved into ``DIR``, which must not be the run folder or lie
inside it. The run folder is checked against its signed manifest first, and the command
says when it no longer verifies (the documents would then show something other than what
was signed).
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from openmrv import runfolder as rf
from openmrv.errors import InputError
from openmrv.report.btr import write_btr
from openmrv.report.manifest import verify_manifest
from openmrv.report.nid import write_nid


@dataclass
class Rerendered:
    """What :func:`rerender` wrote and what it found."""

    files: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: problems of the run folder against its manifest (empty: it verifies)
    manifest_problems: list[str] = field(default_factory=list)


def _outside(run: Path, out: Path) -> None:
    run, out = run.resolve(), out.resolve()
    if out == run or out.is_relative_to(run):
        raise InputError(
            "the documents go beside the run folder, never into it (it stays as it was "
            "signed); give --out a folder outside it",
            file=out,
        )


def rerender(run_dir: str | Path, out_dir: str | Path, pdf: bool = True) -> Rerendered:
    """Render ``run_dir``'s report into ``out_dir`` (created), leaving ``run_dir`` as is.

    Raises
    ------
    InputError
        When ``run_dir`` is not a run folder (no ``run.json``) or ``out_dir`` lies in it.
    """
    run, out = Path(run_dir), Path(out_dir)
    if not (run / rf.RUN_JSON).is_file():
        raise InputError(
            f"not a run folder: it has no {rf.RUN_JSON}; give the folder 'openmrv run' wrote",
            file=run,
        )
    _outside(run, out)
    # the manifest and its signature, by the key it names (integrity, not who signed)
    result = Rerendered(manifest_problems=verify_manifest(run))
    with tempfile.TemporaryDirectory(prefix="openmrv-report-") as tmp:
        work = Path(tmp) / run.name
        shutil.copytree(run, work, symlinks=False)
        for name in (rf.REPORT_HTML, rf.REPORT_PDF, rf.NID_HTML, rf.NID_PDF):
            (work / name).unlink(missing_ok=True)  # never carry the old documents over
        files, result.warnings = write_btr(work, pdf=pdf)
        nid_files, nid_warnings = write_nid(work, pdf=pdf)  # the NID reads report.html
        files += nid_files
        result.warnings += nid_warnings
        out.mkdir(parents=True, exist_ok=True)
        for f in files:
            dst = out / f.relative_to(work)
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, dst)
            result.files.append(dst)
    return result
