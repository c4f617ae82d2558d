"""``openmrv plumes``: detect, quantify and attribute methane plumes in scene files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress

from openmrv.cli._common import sub_app
from openmrv.errors import InputError

app = sub_app()


@app.command("plumes")
def plumes_command(
    scenes: Annotated[list[Path], typer.Argument(help="Scene files (.npz plume patches).")],
    out: Annotated[Path, typer.Option("--out", help="Output folder.")],
    case: Annotated[
        Path | None, typer.Option("--case", help="Case folder: attribute to its facilities.")
    ] = None,
    method: Annotated[
        str, typer.Option("--method", help="Method for rate_t_per_h: IME, CSF or Gaussian.")
    ] = "IME",
    neighbours: Annotated[
        bool,
        typer.Option(
            "--neighbours",
            help="Treat the case's other facilities inside a scene as sources whose plumes "
            "may share the mask: each rate's 1-sigma gets a 'neighbours' term (needs --case).",
        ),
    ] = False,
) -> None:
    """Detect and quantify one plume per scene; write OUT/plumes.csv, plumes.geojson,
    plumes_by_facility.csv and OUT/plumes/quicklook_<scene>.png."""
    from openmrv.case import load_case, read_facilities
    from openmrv.runfolder import PLUMES_CSV
    from openmrv.stages.plumes import detect_scenes, outside_country, write_plume_outputs

    if neighbours and case is None:
        typer.echo(
            "error: --neighbours takes the known sources from a facility register: "
            "give --case CASE",
            err=True,
        )
        raise typer.Exit(2)
    try:
        loaded = load_case(case) if case is not None else None
        facilities = read_facilities(loaded) if loaded is not None else None
        with Progress(transient=True) as bar:
            task = bar.add_task("plumes", total=len(scenes))
            table, figs = detect_scenes(
                scenes,
                facilities,
                out=out,
                method=method,  # type: ignore[arg-type]
                progress=lambda: bar.advance(task),
                neighbours=facilities if neighbours else None,
            )
        write_plume_outputs(table, out)
    except InputError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    if loaded is not None:
        for r in outside_country(table, loaded.country).itertuples():
            typer.echo(
                f"warning: {r.scene}: the plume at {r.lat:.2f}N {r.lon:.2f}E lies outside "
                f"{loaded.country} ({r.distance_km:,.0f} km from its border); it is no "
                "evidence about this case and its attribution to the case's facilities "
                "does not apply",
                err=True,
            )
    n = int(table["detected"].sum())
    typer.echo(
        f"wrote {out / PLUMES_CSV}: {len(table)} scenes, {n} plumes quantified, "
        f"{len(figs)} quick-looks"
    )
