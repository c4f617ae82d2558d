"""``openmrv recalc``, ``openmrv verify-manifest``, ``openmrv reproduce`` and ``openmrv
report``: commands on run folders."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from openmrv.cli._common import console, fail, run_with_progress, sub_app
from openmrv.errors import InputError, OpenMRVError

app = sub_app()


@app.command()
def recalc(
    previous: Annotated[Path, typer.Argument(help="Run folder of the previous submission.")],
    current: Annotated[Path, typer.Argument(help="Run folder of the current submission.")],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="CSV to write (default: recalculation_<previous>_to_<current>.csv beside "
            "the current run folder).",
        ),
    ] = None,
) -> None:
    """Recalculation report: differences between two runs by category, gas and year, and
    the inputs that changed (IPCC Vol 1 Ch 5.4)."""
    from openmrv.pipeline import recalculation_report

    try:
        changes, inputs = recalculation_report(previous, current)
    except OpenMRVError as exc:
        fail(exc)
    # beside the run folders, never inside one: a signed run folder stays as it was signed
    out = out or current.parent / f"recalculation_{previous.name}_to_{current.name}.csv"
    changes.to_csv(out, index=False)
    t = Table(title=f"inputs changed between {previous} and {current}")
    t.add_column("input")
    t.add_column("status")
    for r in inputs.itertuples():
        t.add_row(r.input, r.status)
    console.print(t)
    console.print(f"{len(changes)} category/gas/year values differ; written: {out}")


@app.command("verify-manifest")
def verify_manifest_command(
    run_dir: Annotated[
        Path, typer.Argument(help="Run folder holding manifest.json and manifest.sig.")
    ],
    case: Annotated[
        Path | None,
        typer.Option(
            "--case",
            help="Case folder whose inputs' SHA-256 to check (default: the one the "
            "manifest records, where it still exists).",
        ),
    ] = None,
    public_key: Annotated[
        str | None,
        typer.Option("--public-key", help="Base64 Ed25519 key the manifest must be signed with."),
    ] = None,
) -> None:
    """Check a run folder against its signed manifest: any changed, missing or added byte;
    and against the run-folder spec (docs/run-folder.md): every required output there,
    no unknown file, every table readable with its columns.

    Exit code 0 when the folder is exactly what was signed, by a key you trust (see
    'openmrv keys'), and a valid run folder; 1 when it is not (each problem on its own
    line); 2 on bad input or when the signer is not a key you trust.
    """
    from openmrv.report.keyring import check_public_key, signer_trust
    from openmrv.report.manifest import recorded_inputs_root, verify_manifest
    from openmrv.runfolder import RunFolderError, ensure_valid_run

    if public_key is not None:
        try:
            check_public_key(public_key)
        except OpenMRVError as exc:
            typer.echo(f"error: --public-key: {exc}", err=True)
            raise typer.Exit(code=2) from None
    if case is None:  # the case folder recorded in the manifest, where it still is
        case = recorded_inputs_root(run_dir)
        if case is None:
            typer.echo(
                "note: inputs not checked (the case folder recorded in the manifest is "
                "not here; give --case CASE)",
                err=True,
            )
    try:
        problems = verify_manifest(run_dir, trusted_key=public_key, inputs_root=case)
    except InputError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from None
    if not problems:
        try:  # folders of openmrv versions before the marker are checked too
            ensure_valid_run(run_dir, require_marker=False)
        except RunFolderError as exc:
            problems = [f"not a valid run folder: {exc}"]
    for line in problems:
        typer.echo(line)
    if problems:
        raise typer.Exit(code=1)
    # the signature is sound; who signed it? (docs/provenance.md, "Trusted keys")
    try:
        kid, name = signer_trust(run_dir)
    except OpenMRVError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from None
    if public_key is not None:
        name = name or "the key given with --public-key"
    if name is None:
        typer.echo(
            f"error: {run_dir} is intact but signed by key {kid}, which you do not trust; "
            f"if you know its holder (check the id with them), run 'openmrv keys trust "
            f"{run_dir} --name NAME'",
            err=True,
        )
        raise typer.Exit(code=2)
    typer.echo(f"{run_dir}: manifest and signature verified; signed by key {kid} ({name})")


@app.command("reproduce")
def reproduce_command(
    run_dir: Annotated[Path, typer.Argument(help="Run folder holding manifest.json.")],
    out: Annotated[Path, typer.Option("--out", help="New run folder to write.")],
    case: Annotated[
        Path | None,
        typer.Option("--case", help="Case folder, if it moved since the run."),
    ] = None,
) -> None:
    """Re-run the case recorded in a run folder's manifest and compare every output.

    Checks first that every input still has its recorded SHA-256. Exit code 0 when every
    output is reproduced byte for byte (up to the documented volatile fields: the
    manifest's creation time, the Monte Carlo's wall time), 1 when some differ (listed),
    2 on bad input (e.g. a changed input).
    """
    from openmrv.pipeline import reproduce

    try:
        res = run_with_progress(
            lambda _case, new, step: reproduce(run_dir, new, inputs_root=case, progress=step),
            run_dir,
            out,
        )
    except InputError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from None
    for kind in ("differing", "missing", "added"):
        for path in getattr(res, kind):
            typer.echo(f"{kind}: {path}")
    for line in res.manifest_problems:
        typer.echo(f"note: the original folder no longer matches its manifest: {line}")
    typer.echo(
        f"{len(res.identical)} outputs identical, {len(res.volatile)} differ only in "
        f"volatile fields ({', '.join(res.volatile) or 'none'}), "
        f"{len(res.differing) + len(res.missing) + len(res.added)} differ"
    )
    if not res.reproduced:
        raise typer.Exit(code=1)


@app.command("report")
def report_command(
    run_dir: Annotated[Path, typer.Argument(help="Run folder written by 'openmrv run'.")],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for the documents (beside the run).")
    ],
    no_pdf: Annotated[bool, typer.Option("--no-pdf", help="report.html only.")] = False,
) -> None:
    """Render a run folder's report (report.html, report.pdf) and national inventory
    document (nid.html, nid.pdf) again into another folder,
    without re-running the pipeline; the run folder stays as it was signed."""
    from openmrv.report.rerender import rerender

    try:
        res = rerender(run_dir, out, pdf=not no_pdf)
    except OpenMRVError as exc:
        fail(exc)
    for line in res.manifest_problems:
        typer.echo(f"note: the run folder no longer matches its manifest: {line}", err=True)
    for w in res.warnings:
        typer.echo(f"warning: {w}", err=True)
    names = ", ".join(p.relative_to(out).as_posix() for p in res.files)
    console.print(f"rendered from {run_dir} into {out}: {names}", soft_wrap=True, markup=False)
