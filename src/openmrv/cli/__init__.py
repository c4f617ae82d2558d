"""The ``openmrv`` command line (typer): one command group per module, each thin (parse,
call the public API of :mod:`openmrv.pipeline` and :mod:`openmrv.stages`, print)."""

from __future__ import annotations

import typer

from openmrv.cli import (
    case,
    export,
    factors,
    fetch,
    invert,
    keys,
    observe,
    plumes,
    report,
    run,
    uncertainty,
    workspace,
)

app = typer.Typer(
    name="openmrv",
    help="openmrv: national greenhouse-gas inventories (IPCC 2006/2019R), satellite evidence "
    "and ETF reporting.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
for group in (run, uncertainty, observe, plumes, invert, fetch, report, factors):
    app.add_typer(group.app)
app.add_typer(keys.app, name="keys")
app.add_typer(case.app, name="case")
app.add_typer(export.app, name="export", help="Files for other tools, beside a run folder.")
app.add_typer(workspace.app, name="workspace")
app.add_typer(workspace.users_app, name="users")
app.add_typer(workspace.serve_app)


def main() -> None:  # pragma: no cover - entry point
    app()
