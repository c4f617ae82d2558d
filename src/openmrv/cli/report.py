"""``openmrv recalc``, ``openmrv verify-manifest`` and ``openmrv reproduce``: commands on
run folders."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from openmrv.cli._common import console, fail, sub_app
from openmrv.errors import OpenMRVError
from openmrv.pipeline import recalculation_report
from openmrv.report.cli import reproduce_command, verify_manifest_command

app = sub_app()
app.command("verify-manifest")(verify_manifest_command)
app.command("reproduce")(reproduce_command)


@app.command()
def recalc(
    previous: Annotated[Path, typer.Argument(help="Run folder of the previous submission.")],
    current: Annotated[Path, typer.Argument(help="Run folder of the current submission.")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="CSV to write.")] = None,
) -> None:
    """Recalculation report: differences between two runs by category, gas and year, and
    the inputs that changed (IPCC Vol 1 Ch 5.4)."""
    try:
        changes, inputs = recalculation_report(previous, current)
    except OpenMRVError as exc:
        fail(exc)
    out = out or current / "recalculation.csv"
    changes.to_csv(out, index=False)
    t = Table(title=f"inputs changed between {previous} and {current}")
    t.add_column("input")
    t.add_column("status")
    for r in inputs.itertuples():
        t.add_row(r.input, r.status)
    console.print(t)
    console.print(f"{len(changes)} category/gas/year values differ; written: {out}")
