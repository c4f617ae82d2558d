"""What every command group of the command line shares: consoles, argument types, the
error exit, the progress spinner and the dask client."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.text import Text

from openmrv.errors import OpenMRVError

# Tables need about 110 columns; outside a terminal (CI, pipes) rich would assume 80.
console = Console(width=None if sys.stdout.isatty() else 120)
err_console = Console(stderr=True)

CaseArg = Annotated[Path, typer.Argument(help="Case folder holding case.yaml.", show_default=False)]
OutOpt = Annotated[
    Path | None, typer.Option("--out", "-o", help="Run folder to write (default: runs/<case>).")
]


def sub_app() -> typer.Typer:
    """A command group; its commands join the top level of ``openmrv``."""
    return typer.Typer(add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None)


def fail(exc: OpenMRVError | str) -> NoReturn:
    """Print an input error on stderr, unwrapped and without markup, and exit with 2."""
    err_console.print(Text.assemble(("error: ", "bold red"), str(exc)), soft_wrap=True)
    raise typer.Exit(code=2)


def run_with_progress(fn: Callable, case: Path, out: Path | None):
    """``fn(case, out, step)`` under a spinner that shows each step's text; an input error
    ends the command with exit code 2."""
    out = out or Path("runs") / case.resolve().name
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task("reading case", total=None)

        def step(text: str) -> None:
            bar.update(task, description=f"estimating {text}")

        try:
            return fn(case, out, step)
        except OpenMRVError as exc:
            bar.stop()
            fail(exc)


def client(scheduler: str | None):
    """A dask.distributed client for ``scheduler`` ('local' starts a LocalCluster whose
    dashboard listens on this machine only)."""
    if scheduler is None:
        return None
    from distributed import Client, LocalCluster

    if scheduler == "local":
        return Client(
            LocalCluster(
                host="127.0.0.1",
                dashboard_address="127.0.0.1:0",
                worker_dashboard_address="127.0.0.1:0",
            )
        )
    return Client(scheduler)
