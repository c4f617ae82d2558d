"""``openmrv observe``: read satellite files into soundings, with progress, summary and a map.

The lead's ``openmrv.cli`` registers :func:`observe_command`::

    app.command("observe")(openmrv.observe.cli.observe_command)

It calls the public API only (:func:`openmrv.observe.batch.observe`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
import typer
import xarray as xr
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from openmrv.errors import InputError
from openmrv.observe.batch import ObserveSummary, observe, write_soundings
from openmrv.observe.region import Region, country_polygons, parse_region
from openmrv.observe.winds import attach_winds, read_era5_winds


def plot_soundings(soundings: xr.Dataset, path: str | Path, region: Region | None = None) -> Path:
    """Write a PNG map of the soundings (XCH4 [ppb] by colour), with the country outline."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 5), dpi=110)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    lon, lat = soundings["longitude"].values, soundings["latitude"].values
    n = soundings.sizes["sounding"]
    size = float(np.clip(4000.0 / max(n, 1), 4.0, 40.0))  # few soundings: bigger dots
    sc = ax.scatter(lon, lat, c=soundings["xch4"].values, s=size, cmap="viridis", zorder=3)
    fig.colorbar(sc, ax=ax, label="XCH4 [ppb]")
    xs, ys = [lon], [lat]
    if isinstance(region, str) and not region.lower().endswith("json"):
        for rings in country_polygons(region):
            ax.plot(rings[0][:, 0], rings[0][:, 1], color="k", lw=0.8)
            xs.append(rings[0][:, 0])
            ys.append(rings[0][:, 1])
    x, y = np.concatenate(xs), np.concatenate(ys)
    pad = 1.0
    ax.set_xlim(np.nanmin(x) - pad, np.nanmax(x) + pad)
    ax.set_ylim(np.nanmin(y) - pad, np.nanmax(y) + pad)
    ax.set_xlabel("longitude [degrees_east]")
    ax.set_ylabel("latitude [degrees_north]")
    products = ", ".join(sorted(set(soundings["product"].values.astype(str).tolist())))
    ax.set_title(f"{n} soundings ({products})")
    fig.savefig(path)
    return Path(path)


def summary_table(summary: ObserveSummary) -> Table:
    """The summary as a rich table."""
    table = Table(title="observe summary")
    table.add_column("what")
    table.add_column("count", justify="right")
    for what, count in summary.table().itertuples(index=False):
        table.add_row(str(what), str(count))
    return table


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
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(1) from exc
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
        plot_soundings(soundings, map_png, reg)
        console.print(f"map: {map_png}")
    if out is not None:
        console.print(f"soundings: {out}")
