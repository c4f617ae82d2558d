"""``openmrv observe``: read satellite files into soundings, with progress, summary and a
map. It calls the public API only (:func:`openmrv.observe.batch.observe`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from openmrv.cli._common import sub_app
from openmrv.errors import InputError

if TYPE_CHECKING:
    from openmrv.observe.batch import ObserveSummary

app = sub_app()


def summary_table(summary: ObserveSummary) -> Table:
    """The summary as a rich table."""
    table = Table(title="observe summary")
    table.add_column("what")
    table.add_column("count", justify="right")
    for what, count in summary.table().itertuples(index=False):
        table.add_row(str(what), str(count))
    return table


@app.command("observe")
def observe_command(
    files: Annotated[list[Path], typer.Argument(help="Satellite L2 files (any known product).")],
    region: Annotated[
        str | None,
        typer.Option(help="ISO3 code (TKM), lon_min,lat_min,lon_max,lat_max, or a .geojson file."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Write the soundings to this netCDF file.")
    ] = None,
    map_png: Annotated[
        Path | None, typer.Option("--map", help="PNG map (default: next to --out).")
    ] = None,
    scheduler: Annotated[
        str | None, typer.Option(help="Address of a dask scheduler (default: a LocalCluster).")
    ] = None,
    workers: Annotated[int | None, typer.Option(help="LocalCluster workers.")] = None,
    qa: Annotated[bool, typer.Option(help="Apply each product's quality rules.")] = True,
    winds: Annotated[
        list[Path] | None,
        typer.Option(
            help="ERA5 netCDF: a single-level file (10 m wind), or given twice, a "
            "pressure-level and a single-level file (boundary-layer mean). Adds u, v "
            "[m s-1] at each sounding."
        ),
    ] = None,
) -> None:
    """Read satellite files into one soundings dataset: screened, cut to a region, mapped."""
    from openmrv.observe.batch import observe, write_soundings
    from openmrv.observe.region import parse_region
    from openmrv.observe.winds import attach_winds, read_era5_winds
    from openmrv.report import figures
    from openmrv.stages.observations import country_outlines

    console = Console()
    try:
        reg = parse_region(region) if region else None
        wind_field = read_era5_winds(*winds) if winds else None
    except InputError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeElapsedColumn(), console=console) as bar:
        task = bar.add_task("reading", total=len(files))

        def step(done: int, total: int, name: str) -> None:
            bar.update(task, completed=done, description=name[:40])

        try:
            soundings, summary = observe(
                files, reg, out, qa=qa, scheduler=scheduler, n_workers=workers, progress=step
            )
        except InputError as exc:
            summary = getattr(exc, "summary", None)
            if summary is not None:
                console.print(summary_table(summary))
                for path, message in summary.bad_files:
                    console.print(f"[yellow]bad file[/yellow] {path}: {message}", markup=True)
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(2) from exc
    if wind_field is not None:
        soundings = attach_winds(soundings, wind_field)
        outside = soundings.attrs["soundings_outside_winds"]
        console.print(
            f"winds ({wind_field.attrs['level']}, {wind_field.attrs['source_file']}): "
            f"{soundings.sizes['sounding'] - outside} soundings, {outside} outside the winds (NaN)"
        )
        if out is not None:
            write_soundings(soundings, out)
    console.print(summary_table(summary))
    for path, message in summary.bad_files:
        console.print(f"[yellow]bad file[/yellow] {path}: {message}")
    if map_png is None and out is not None:
        map_png = out.with_suffix(".png")
    if map_png is not None:
        figures.soundings_map(soundings, map_png, country_outlines(reg))
        console.print(f"map: {map_png}")
    if out is not None:
        console.print(f"soundings: {out}")
