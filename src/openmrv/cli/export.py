"""``openmrv export etf``: files for other tools, written beside a run folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from openmrv.cli._common import console, fail, sub_app
from openmrv.errors import OpenMRVError

app = sub_app()


@app.command("etf")
def etf(
    run_dir: Annotated[Path, typer.Argument(help="Run folder of 'openmrv run'.")],
    metadata: Annotated[
        Path,
        typer.Option(
            "--metadata",
            help="The ETF reporting tool's metadata file (.json or .json.lzma), as the "
            "Party's tool or etf-cli provides it.",
        ),
    ],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder to write (beside the run folder).")
    ],
) -> None:
    """Write the ETF reporting tool's data-exchange JSON (crt_etf.json) and the mapping of
    each CRT cell to its variable (crt_etf_mapping.csv) for a run (docs/etf-json.md)."""
    from openmrv.report.etf import NO_VARIABLE, NOT_TRANSFERRED, export_run

    try:
        export = export_run(run_dir, metadata, out)
    except OpenMRVError as exc:
        fail(exc)
    counts = export.counts()
    for status, n in sorted(counts.items()):
        console.print(f"{n:5d}  {status}", markup=False)
    missed = counts.get(NO_VARIABLE, 0) + counts.get(NOT_TRANSFERRED, 0)
    if missed:
        console.print(
            f"note: {missed} CRT cells did not reach a variable; see crt_etf_mapping.csv",
            markup=False,
        )
    console.print(f"written: {out / 'crt_etf.json'}, {out / 'crt_etf_mapping.csv'}", markup=False)
