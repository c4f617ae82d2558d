"""``openmrv case new``: a draft case for a country and the TODO.md of what is left."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from openmrv.cli._common import console, fail
from openmrv.errors import OpenMRVError

app = typer.Typer(
    name="case",
    help="Start a case: a draft from what openmrv packages, with a TODO.md for the compiler.",
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    no_args_is_help=True,
)


@app.command("new")
def new(
    iso3: Annotated[str, typer.Argument(help="ISO 3166 alpha-3 code, e.g. UZB")],
    out: Annotated[Path, typer.Option("--out", "-o", help="New (or empty) case folder.")],
    years: Annotated[
        str | None,
        typer.Option(help="FIRST-LAST, e.g. 1990-2022 (default: 1990 to two years ago)"),
    ] = None,
) -> None:
    """Write a draft case for a country and list, in its TODO.md, every choice and data set
    the compiler must still supply."""
    from openmrv.draft import write_draft

    first = last = None
    if years is not None:
        a, sep, b = years.partition("-")
        if not (sep and a.isdigit() and b.isdigit()):
            fail(f"--years '{years}': give FIRST-LAST, e.g. 1990-2022")
        first, last = int(a), int(b)
    try:
        written = write_draft(iso3, out, first, last)
    except OpenMRVError as exc:
        fail(exc)
    for p in written:
        console.print(str(p), markup=False)
    console.print(f"draft case in {out}: read {out / 'TODO.md'} before the first run", markup=False)
