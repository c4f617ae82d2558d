"""``openmrv factors`` and ``openmrv version``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from openmrv import __version__
from openmrv.cli._common import console, err_console, fail, sub_app
from openmrv.errors import OpenMRVError

app = sub_app()


@app.command()
def factors(
    table: Annotated[
        str | None, typer.Argument(help="Table id to list (default: all tables).")
    ] = None,
) -> None:
    """List the factor library's tables, or the rows of one table with their sources."""
    from openmrv.factors import FactorLibrary

    try:
        lib = FactorLibrary.default()
    except OpenMRVError as exc:
        fail(exc)
    if table is None:
        t = Table(title="factor tables")
        t.add_column("table id")
        t.add_column("rows", justify="right")
        t.add_column("source")
        for tid in lib.tables:
            rows = [f for f in lib.factors if f.table_id == tid]
            t.add_row(tid, str(len(rows)), rows[0].citation())
        console.print(t)
        return
    rows = [f for f in lib.factors if f.table_id == table]
    if not rows:
        err_console.print(f"[bold red]error:[/] no table '{table}'; known: {', '.join(lib.tables)}")
        raise typer.Exit(code=2)
    t = Table(title=f"{table}: {rows[0].citation()}")
    for col in ("parameter", "category", "key", "qualifier", "gas", "value", "unit", "95% CI"):
        t.add_column(col)
    for f in rows:
        lo, hi = f.relative_uncertainty
        t.add_row(
            f.parameter,
            f.category,
            f.key,
            ";".join(f"{a}={b}" for a, b in f.qualifier),
            f.gas,
            f"{f.value:g}",
            f.unit,
            f"-{100 * lo:.0f}%/+{100 * hi:.0f}%",
        )
    console.print(t)


@app.command()
def version() -> None:
    """Print the openmrv version."""
    console.print(__version__)
