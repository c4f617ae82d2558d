"""``openmrv workspace``, ``openmrv users`` and ``openmrv serve``: the team workspace
(docs/workspace.md). Every command takes ``--workspace DIR`` (default: the current folder)
and ``--db URL`` (default: the SQLite file in that folder)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from openmrv.cli._common import console, err_console, fail, sub_app
from openmrv.errors import OpenMRVError

WorkspaceOpt = Annotated[
    Path, typer.Option("--workspace", help="Workspace folder (default: the current folder).")
]
DbOpt = Annotated[
    str | None,
    typer.Option("--db", help="Database URL (default: the SQLite file in the workspace)."),
]

app = typer.Typer(
    name="workspace",
    help="Move case folders in and out of a team workspace (docs/workspace.md).",
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    no_args_is_help=True,
)
users_app = typer.Typer(
    name="users",
    help="People who may log in to the workspace, their roles and sectors.",
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    no_args_is_help=True,
)
serve_app = sub_app()


def _who() -> str:
    import getpass

    return f"cli:{getpass.getuser()}"


@app.command("import")
def import_(
    case: Annotated[Path, typer.Argument(help="Case folder holding case.yaml.")],
    name: Annotated[
        str | None, typer.Option(help="Name in the workspace (default: folder name).")
    ] = None,
    workspace: WorkspaceOpt = Path("."),
    db: DbOpt = None,
) -> None:
    """Check a case folder as a run would and bring all its files into the workspace."""
    from openmrv.workspace.casefiles import import_case
    from openmrv.workspace.db import open_workspace

    try:
        ws = open_workspace(workspace, db)
        with ws.sessions() as s:
            case_id = import_case(s, case, _who(), name)
            s.commit()
        ws.close()
    except OpenMRVError as exc:
        fail(exc)
    console.print(f"imported {case} as case {case_id}", markup=False)


@app.command("list")
def list_(workspace: WorkspaceOpt = Path("."), db: DbOpt = None) -> None:
    """The cases in the workspace: id, name, activity rows, when and by whom imported."""
    from openmrv.workspace.casefiles import list_cases
    from openmrv.workspace.db import open_workspace

    try:
        ws = open_workspace(workspace, db)
        with ws.sessions() as s:
            cases = list_cases(s)
        ws.close()
    except OpenMRVError as exc:
        fail(exc)
    for c in cases:
        console.print(
            f"{c['id']}\t{c['name']}\t{c['activity_rows']} activity rows\t"
            f"imported {c['imported_at']} by {c['imported_by']}",
            markup=False,
        )
    if not cases:
        console.print("no cases yet: 'openmrv workspace import CASE' brings one in", markup=False)


@app.command("export")
def export(
    case_id: Annotated[int, typer.Argument(metavar="ID", help="Case id (openmrv workspace list).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="New (or empty) folder.")],
    workspace: WorkspaceOpt = Path("."),
    db: DbOpt = None,
) -> None:
    """Write a case, with its edits, back out as a case folder."""
    from openmrv.workspace.casefiles import export_case
    from openmrv.workspace.db import open_workspace

    try:
        ws = open_workspace(workspace, db)
        with ws.sessions() as s:
            written = export_case(s, case_id, out)
        ws.close()
    except OpenMRVError as exc:
        fail(exc)
    console.print(f"{len(written)} files written to {out}", markup=False)


@users_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="User name (the login).")],
    role: Annotated[str, typer.Option(help="sector_expert, reviewer, compiler or viewer.")],
    sector: Annotated[
        list[str] | None, typer.Option(help="IPCC category prefix a sector expert edits (repeat).")
    ] = None,
    workspace: WorkspaceOpt = Path("."),
    db: DbOpt = None,
) -> None:
    """Add a user; the password is read from standard input (one line)."""
    from openmrv.workspace import audit
    from openmrv.workspace.db import open_workspace
    from openmrv.workspace.security import add_user

    password = sys.stdin.readline().rstrip("\r\n")
    try:
        ws = open_workspace(workspace, db)
        with ws.sessions() as s:
            user = add_user(s, name, role, password, sector or [])
            audit.record(
                s,
                _who(),
                "add",
                "users",
                name,
                None,
                {"role": role, "sectors": user.sectors},
                "user added",
            )
            s.commit()
        ws.close()
    except OpenMRVError as exc:
        fail(exc)
    console.print(
        f"user {name} added ({role}{': ' + user.sectors if user.sectors else ''})", markup=False
    )


@serve_app.command("serve")
def serve(
    host: Annotated[
        str, typer.Option(help="Address to bind (default: this machine only).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workspace: WorkspaceOpt = Path("."),
    db: DbOpt = None,
) -> None:
    """Serve the workspace: its screens and JSON API (docs/workspace.md; put TLS in front
    of anything but 127.0.0.1)."""
    from openmrv.workspace.server import exposure_warning, serve_workspace

    warning = exposure_warning(host)
    if warning:
        err_console.print(f"warning: {warning}", markup=False, soft_wrap=True)
    try:
        serve_workspace(workspace, db, host, port)
    except OpenMRVError as exc:
        fail(exc)
