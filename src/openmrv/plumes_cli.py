"""``openmrv plumes``: detect and quantify a plume in each scene, attribute and annualise.

Reads each scene through the observe readers (TROPOMI ``.npz`` plume patches; L2 orbit
files hold no 2-D scene and give a clear error), rebuilds the 2-D scene, runs
:mod:`openmrv.estimate.plumes` (detection; IME, CSF and Gaussian plume fit, each with its
uncertainty budget) and writes, into the output folder:

- ``plumes.csv`` / ``plumes.geojson``: one row per scene (the plume table: time, lat,
  lon, rate_t_per_h, rate_sigma_t_per_h, method, source='openmrv', facility_id, scene,
  flags; plus each method's rate and 1-sigma in ``rate_<method>_t_per_h`` and
  ``rate_<method>_sigma_t_per_h``);
- ``plumes/quicklook_<scene>.png`` per detected plume (enhancement, mask, wind arrow,
  source pixel);
- ``plumes_by_facility.csv``: per facility (or 0.2-degree cell) and year, own detections
  annualised (:func:`openmrv.verify.plumes.annualise`).

The API the pipeline calls is :func:`detect_scenes`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
import pandas as pd
import typer
from scipy import ndimage

from openmrv.errors import InputError
from openmrv.estimate.plumes import (
    csf_rate,
    detect_plume,
    ime_rate,
    local_xy,
    pixel_areas,
    split_mask,
)
from openmrv.estimate.plumes.gaussian import gaussian_plume_fit
from openmrv.estimate.plumes.quantify import (
    KG_S_TO_T_H,
    pixel_areas_from_centres,
    with_neighbour_term,
)
from openmrv.estimate.plumes.wind import external_wind, scene_wind
from openmrv.observe.catalogues import PLUME_CORE
from openmrv.observe.registry import read_soundings

METHODS = ("IME", "CSF", "Gaussian")
Method = Literal["IME", "CSF", "Gaussian"]
TABLE_COLUMNS = [
    *PLUME_CORE,
    "detected",
    "wind_u",
    "wind_v",
    "wind_origin",
    "wind_speed_m_s",
    "pixel_km",
    *(f"rate_{m.lower()}{s}_t_per_h" for m in METHODS for s in ("", "_sigma")),
    "flags",
]


def scene_arrays(path: Path) -> dict:
    """A scene file read by the observe readers, as 2-D arrays (rows, cols)."""
    path = Path(path)
    ds = read_soundings(path)
    shape = tuple(int(s) for s in ds.attrs.get("scene_shape", ()))
    if len(shape) != 2:
        raise InputError(
            "not a 2-D scene (no scene_shape): openmrv plumes reads plume patches (.npz) "
            "and TROPOMI L2 orbits (searched in windows); this product has no pixel grid",
            file=path,
        )
    r, c = ds["scene_row"].values, ds["scene_col"].values

    def grid(name: str, extra: tuple = ()) -> np.ndarray:
        g = np.full(shape + extra, np.nan)
        if name in ds:
            g[r, c] = ds[name].values
        return g

    qa = grid("qa_value")
    x = grid("xch4")
    x[~(qa >= 0.5)] = np.nan
    t = pd.to_datetime(ds["time"].values)
    times = np.full(shape, np.datetime64("NaT"), "datetime64[ns]")
    times[r, c] = ds["time"].values
    return {
        "times": times,
        "scene": path.name,
        "xch4": x,
        "noise": grid("xch4_uncertainty"),
        "lat": grid("latitude"),
        "lon": grid("longitude"),
        "lat_bounds": grid("latitude_bounds", (4,)),
        "lon_bounds": grid("longitude_bounds", (4,)),
        "u10": grid("eastward_wind"),
        "v10": grid("northward_wind"),
        "surface_pressure": grid("surface_pressure") if "surface_pressure" in ds else None,
        "time": t[len(t) // 2],
    }


def split_swath(sc: dict) -> list[dict]:
    """Windows around the plume candidates of a large scene (an L2 orbit); a scene of patch
    size is returned as it is.

    The scene is searched in windows of ``swath_window_pixels`` (the validation patches'
    size), overlapping by half, each tested by :func:`detect_plume` at a false-alarm rate
    of ``swath_false_alarm`` / number of windows (Bonferroni: at most ``swath_false_alarm``
    false detections per orbit on plume-free white noise). Candidates closer than half a
    window to a stronger one are dropped; each kept candidate gets a window centred on its
    source pixel, named ``<scene>@<row>_<col>``, which :func:`quantify_scene` then treats
    like a patch (same false-alarm rate, source pixel given).
    """
    from openmrv.estimate.plumes.quantify import constant

    size = int(constant("swath_window_pixels"))
    x = sc["xch4"]
    rows, cols = x.shape
    if rows < 2 * size and cols < 2 * size:
        return [sc]
    step = size // 2

    def starts(n: int) -> list[int]:
        s = list(range(0, max(n - size, 0) + 1, step))
        return s if s[-1] == max(n - size, 0) else [*s, n - size]

    tiles = [(r, c) for r in starts(rows) for c in starts(cols)]
    alpha = constant("swath_false_alarm") / len(tiles)
    noise = np.broadcast_to(np.asarray(sc["noise"], float), x.shape)
    union = np.zeros(x.shape, bool)  # every window's plume mask, in scene pixels
    found = []
    for r, c in tiles:
        win = (slice(r, r + size), slice(c, c + size))
        if np.isfinite(x[win]).sum() < size * size // 4:
            continue  # mostly cloud or no data: no background to test against
        try:
            det = detect_plume(x[win], noise[win], alpha=alpha)
        except InputError:
            continue
        if det.detected:
            peak = float(np.nanmax(np.where(det.mask, det.z_smooth, -np.inf)))
            found.append((peak, r + det.source[0], c + det.source[1]))
            union[win] |= det.mask
    # one candidate per connected plume (a plume seen by several windows, or whose tail
    # looks like a second source downwind): the one with the strongest peak
    labels, _ = ndimage.label(union, structure=np.ones((3, 3)))
    kept: list[tuple[float, int, int]] = []
    seen: set[int] = set()
    for peak, r0, c0 in sorted(found, reverse=True):
        if labels[r0, c0] not in seen:
            seen.add(int(labels[r0, c0]))
            kept.append((peak, r0, c0))
    windows = []
    for _, r0, c0 in kept:
        r = min(max(r0 - step, 0), max(rows - size, 0))
        c = min(max(c0 - step, 0), max(cols - size, 0))
        win = (slice(r, r + size), slice(c, c + size))
        sub = {
            k: (v[win] if isinstance(v, np.ndarray) and v.shape[:2] == x.shape else v)
            for k, v in sc.items()
        }
        t = sc["times"][r0, c0]
        sub.update(
            scene=f"{sc['scene']}@{r0}_{c0}",
            time=pd.Timestamp(t) if not np.isnat(t) else sc["time"],
            alpha=alpha,
            source_pixel=(r0 - r, c0 - c),
        )
        windows.append(sub)
    return windows


def _source_pixel(lat, lon, source_latlon):
    if source_latlon is None:
        return None
    d = (lat - source_latlon[0]) ** 2 + (
        (lon - source_latlon[1]) * np.cos(np.deg2rad(source_latlon[0]))
    ) ** 2
    i = int(np.nanargmin(d))
    return (i // lat.shape[1], i % lat.shape[1])


def quantify_scene(
    sc: dict,
    source_latlon: tuple[float, float] | None = None,
    winds=None,
    rel_wind_error: float | None = None,
    method: Method = "IME",
    methods: tuple[str, ...] = METHODS,
    neighbours: list[tuple[float, float]] | None = None,
) -> tuple[dict, dict]:
    """One plume-table row for a scene from :func:`scene_arrays`, and the working arrays.

    ``winds``: None (the scene's u10/v10 over the plume), a ``(u, v)`` pair [m/s] or an
    xarray dataset with ``u``, ``v`` on (time, latitude, longitude). ``method``: the
    method whose rate fills ``rate_t_per_h``; every method's rate is in its own column.
    ``methods``: the methods to run (default all). ``neighbours``: (lat, lon) of other
    known sources near this one; each rate's budget then gets a ``neighbours`` term
    (:func:`openmrv.estimate.plumes.quantify.with_neighbour_term` over the part of the
    mask :func:`openmrv.estimate.plumes.split_mask` leaves to this source). Known sources
    within one pixel (the square root of the median pixel area) of the detected source
    are the source itself, not neighbours, and are left out.
    """
    if rel_wind_error is None:  # the stated default of the constants table
        from openmrv.estimate.plumes.quantify import constant

        rel_wind_error = constant("rel_wind_error")
    if method not in METHODS:
        raise InputError(f"unknown method '{method}'; use one of {METHODS}", field="method")
    lat, lon = sc["lat"], sc["lon"]
    row: dict = {
        "time": sc["time"],
        "lat": np.nan,
        "lon": np.nan,
        "rate_t_per_h": np.nan,
        "rate_sigma_t_per_h": np.nan,
        "method": method,
        "source": "openmrv",
        "facility_id": "",
        "scene": sc["scene"],
        "detected": False,
        "wind_u": np.nan,
        "wind_v": np.nan,
        "wind_origin": "",
    }
    source = _source_pixel(lat, lon, source_latlon)
    if source is None:
        source = sc.get("source_pixel")
    det = detect_plume(sc["xch4"], sc["noise"], source=source, alpha=sc.get("alpha", 0.01))
    work = {"scene": sc, "det": det, "wind": None}
    if not det.detected:
        row["flags"] = "; ".join(det.flags)
        return row, work
    r0, c0 = det.source
    row.update(lat=float(lat[r0, c0]), lon=float(lon[r0, c0]), detected=True)
    if winds is None:
        wind = scene_wind(sc["u10"], sc["v10"], det.mask)
    else:
        wind = external_wind(winds, sc["time"], row["lat"], row["lon"])
    work["wind"] = wind
    row.update(wind_u=wind.u, wind_v=wind.v, wind_origin=wind.origin, wind_speed_m_s=wind.speed)
    if np.isfinite(sc["lat_bounds"]).any():
        area = pixel_areas(sc["lat_bounds"], sc["lon_bounds"])
    else:
        area = pixel_areas_from_centres(lat, lon)
    if not np.isfinite(area).all():
        area = np.where(np.isfinite(area), area, np.nanmedian(area))
    pixel = float(np.sqrt(np.median(area)))  # [m]
    row["pixel_km"] = pixel / 1000.0  # for the attribution radius
    x_m, y_m = local_xy(lat, lon, row["lat"], row["lon"])
    ps = sc["surface_pressure"]
    speed, x = wind.speed, sc["xch4"]
    run = {
        "IME": lambda: ime_rate(x, det, area, speed, rel_wind_error, ps),
        "CSF": lambda: csf_rate(
            x, det, x_m, y_m, area, speed, (wind.u, wind.v), rel_wind_error, ps
        ),
        "Gaussian": lambda: gaussian_plume_fit(
            x,
            det,
            x_m,
            y_m,
            (wind.u, wind.v),
            rel_wind_error,
            ps,
            pixel_size=pixel,
        ),
    }
    ests = [run[m]() for m in METHODS if m in methods]
    others = np.empty((0, 2))
    if neighbours:
        nb = np.asarray(neighbours, float).reshape(-1, 2)
        others = np.column_stack(local_xy(nb[:, 0], nb[:, 1], row["lat"], row["lon"]))
        # a known source within one pixel of the detected one cannot be told apart from it
        others = others[np.hypot(others[:, 0], others[:, 1]) > pixel]
    if len(others):
        own_mask, given = split_mask(
            det.mask, x_m, y_m, (0.0, 0.0), others, (wind.u, wind.v), pixel
        )
        if given and own_mask.sum() >= 3:
            whole = det.mask
            det.mask = own_mask
            try:
                ests = [with_neighbour_term(e, run[e.method]()) for e in ests]
            finally:
                det.mask = whole
    flags = list(det.flags)
    for e in ests:
        key = f"rate_{e.method.lower()}"
        row[f"{key}_t_per_h"] = e.rate_t_per_h
        row[f"{key}_sigma_t_per_h"] = e.sigma_t_per_h
        flags += [f"{e.method}: {f}" for f in e.flags if f not in det.flags]
        if e.method == method:
            row["rate_t_per_h"], row["rate_sigma_t_per_h"] = e.rate_t_per_h, e.sigma_t_per_h
    row["flags"] = "; ".join(flags)
    work["estimates"] = ests
    return row, work


def _filled(a: np.ndarray) -> np.ndarray:
    """Coordinates with missing pixels filled by a plane fitted in (row, col) (figures only)."""
    ok = np.isfinite(a)
    if ok.all():
        return a
    rr, cc = np.indices(a.shape)
    g = np.column_stack([np.ones(ok.sum()), rr[ok], cc[ok]])
    coef = np.linalg.lstsq(g, a[ok], rcond=None)[0]
    return np.where(ok, a, coef[0] + coef[1] * rr + coef[2] * cc)


def quicklook(work: dict, path: Path) -> Path:
    """A PNG of the plume: enhancement over the background, mask outline, wind arrow and
    source pixel."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sc, det, wind = work["scene"], work["det"], work["wind"]
    lat, lon = _filled(sc["lat"]), _filled(sc["lon"])
    fig, ax = plt.subplots(figsize=(5.2, 4.4))
    enh = sc["xch4"] - det.background
    lim = float(np.nanpercentile(np.abs(enh), 98)) or 1.0
    pm = ax.pcolormesh(lon, lat, enh, cmap="RdBu_r", vmin=-lim, vmax=lim, shading="nearest")
    fig.colorbar(pm, ax=ax, label="enhancement [ppb]")
    ax.contour(lon, lat, det.mask.astype(float), levels=[0.5], colors="k", linewidths=1.2)
    r0, c0 = det.source
    ax.plot(lon[r0, c0], lat[r0, c0], marker="*", color="gold", ms=14, mec="k")
    if wind is not None and wind.speed > 0:
        # the wind as an arrow in a corner (axes fraction; east right, north up), so it
        # shows even when the source lies near the edge
        eu, ev = wind.u / wind.speed, wind.v / wind.speed
        ax.annotate(
            "",
            xy=(0.12 + 0.09 * eu, 0.86 + 0.09 * ev),
            xytext=(0.12, 0.86),
            xycoords="axes fraction",
            arrowprops={"arrowstyle": "-|>", "color": "k", "lw": 1.8},
        )
        ax.text(
            0.12,
            0.73,
            f"wind {wind.speed:.1f} m/s",
            transform=ax.transAxes,
            ha="center",
            fontsize=8,
        )
    rates = ", ".join(
        f"{e.method} {e.rate_t_per_h:.1f}±{e.sigma_t_per_h:.1f}" for e in work.get("estimates", [])
    )
    ax.set_title(f"{sc['scene']}\n{rates} t/h", fontsize=8)
    ax.set_xlabel("longitude [°E]")
    ax.set_ylabel("latitude [°N]")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def to_geojson(table: pd.DataFrame) -> dict:
    """The plume table as a GeoJSON FeatureCollection (points; rows without a position
    are left out)."""
    feats = []
    for rec in table.dropna(subset=["lat", "lon"]).to_dict("records"):
        props = {
            k: (None if isinstance(v, float) and not np.isfinite(v) else v)
            for k, v in rec.items()
            if k not in ("lat", "lon")
        }
        props["time"] = pd.Timestamp(rec["time"]).isoformat()
        props = {k: (v.item() if isinstance(v, np.generic) else v) for k, v in props.items()}
        feats.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [rec["lon"], rec["lat"]]},
                "properties": props,
            }
        )
    return {"type": "FeatureCollection", "features": feats}


def scene_neighbours(sc: dict, register: pd.DataFrame) -> list[tuple[float, float]]:
    """The (lat, lon) of the register's facilities inside a scene's footprint (the
    bounding box of its pixel centres, widened by one pixel): the known sources whose
    plumes may share a plume mask there."""
    missing = {"lat", "lon"} - set(register.columns)
    if missing:
        raise InputError(
            f"the facility register has no {sorted(missing)} column(s): neighbouring "
            "sources need each facility's lat and lon; add them (decimal degrees) to the "
            "register, or leave out --neighbours",
            field="neighbours",
        )
    lat, lon = np.asarray(sc["lat"], float), np.asarray(sc["lon"], float)
    if not np.isfinite(lat).any():
        return []
    rows, cols = lat.shape
    pad_lat = (np.nanmax(lat) - np.nanmin(lat)) / max(rows - 1, 1)
    pad_lon = (np.nanmax(lon) - np.nanmin(lon)) / max(cols - 1, 1)
    pad = max(pad_lat, pad_lon)
    flat = pd.to_numeric(register["lat"], errors="coerce").to_numpy(float)
    flon = pd.to_numeric(register["lon"], errors="coerce").to_numpy(float)
    inside = (
        (flat >= np.nanmin(lat) - pad)
        & (flat <= np.nanmax(lat) + pad)
        & (flon >= np.nanmin(lon) - pad)
        & (flon <= np.nanmax(lon) + pad)
    )
    return list(zip(flat[inside].tolist(), flon[inside].tolist(), strict=True))


def detect_scenes(
    paths: list[Path],
    facilities: pd.DataFrame | None = None,
    winds=None,
    out: Path | None = None,
    method: Method = "IME",
    sources: dict[str, tuple[float, float]] | None = None,
    rel_wind_error: float | None = None,
    progress=None,
    neighbours: dict[str, list[tuple[float, float]]] | pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, list[Path]]:
    """Detect, quantify and attribute one plume per scene.

    Parameters
    ----------
    paths
        Scene files (TROPOMI ``.npz`` plume patches).
    facilities
        Facility register (``facility_id``, ``lat``, ``lon``; e.g.
        :func:`openmrv.case.read_facilities`); None: no attribution.
    winds
        None (each scene's u10/v10), ``(u, v)`` [m/s], or an xarray dataset with ``u``,
        ``v`` on (time, latitude, longitude) (e.g. ERA5).
    out
        Folder for ``plumes/quicklook_<scene>.png``; None: no figures.
    method
        The method that fills ``rate_t_per_h`` (all are in their own columns).
    sources
        Optional known source (lat, lon) per scene file name.
    progress
        Optional callable run after each scene (e.g. a progress bar's advance).
    neighbours
        Other known sources whose plumes may share the mask; each rate's budget then
        gets a ``neighbours`` term. Either [(lat, lon), ...] per scene file name, or a
        facility register (``lat``, ``lon`` columns, e.g. the ``facilities`` above):
        every facility inside a scene (or orbit window) is a known source there, except
        the one at the detected source's pixel (:func:`scene_neighbours`).

    Returns
    -------
    (table, figures)
        The plume table (one row per scene, columns ``TABLE_COLUMNS`` plus
        ``distance_km``) and the paths of the quick-look PNGs written.
    """
    from openmrv.verify.plumes import attribute

    rows, figs = [], []
    for p in paths:
        p = Path(p)
        sc = scene_arrays(p)
        src = (sources or {}).get(p.name)
        scenes = split_swath(sc) if src is None else [sc]
        if not scenes:
            rows.append(
                {
                    "time": sc["time"],
                    "scene": p.name,
                    "source": "openmrv",
                    "method": method,
                    "detected": False,
                    "facility_id": "",
                    "flags": "no plume candidate in the orbit at the stated false-alarm rate",
                }
            )
        for sub in scenes:
            try:
                row, work = quantify_scene(
                    sub,
                    src,
                    winds,
                    rel_wind_error,
                    method,
                    neighbours=(
                        scene_neighbours(sub, neighbours)
                        if isinstance(neighbours, pd.DataFrame)
                        else (neighbours or {}).get(p.name)
                    ),
                )
            except InputError as exc:  # e.g. every pixel fails QA: listed with the reason
                row = {
                    "time": sub["time"],
                    "scene": sub["scene"],
                    "source": "openmrv",
                    "method": method,
                    "detected": False,
                    "facility_id": "",
                    "flags": f"not quantified: {exc}",
                }
                work = None
            rows.append(row)
            if out is not None and work is not None and row["detected"]:
                tag = sub["scene"].split("@", 1)[1] if "@" in sub["scene"] else ""
                name = f"quicklook_{p.stem}{'_' + tag if tag else ''}.png"
                figs.append(quicklook(work, Path(out) / "plumes" / name))
        if progress is not None:
            progress()
    table = pd.DataFrame(rows).reindex(columns=TABLE_COLUMNS)
    table["time"] = pd.to_datetime(table["time"])
    table["facility_id"] = table["facility_id"].fillna("")
    table["detected"] = table["detected"].fillna(False).astype(bool)
    if facilities is not None and not facilities.empty:
        det = table["detected"]
        att = attribute(table[det].reset_index(drop=True), facilities)
        table.loc[det, "facility_id"] = att["facility_id"].to_numpy()
        table.loc[det, "distance_km"] = att["distance_km"].to_numpy()
    else:
        table["distance_km"] = np.nan
    return table, figs


def persistence(table: pd.DataFrame) -> pd.DataFrame:
    """Own detections annualised per facility (or 0.2-degree cell) and year
    (:func:`openmrv.verify.plumes.annualise`; its assumptions stated there)."""
    from openmrv.verify.plumes import annualise

    own = table[(table["source"] == "openmrv") & table["detected"]]
    own = own.dropna(subset=["rate_t_per_h", "rate_sigma_t_per_h"])
    own = own[own["rate_t_per_h"] > 0]
    frames = []
    for year in sorted(pd.DatetimeIndex(own["time"]).year.unique()):
        a = annualise(own, int(year))
        a.insert(1, "year", int(year))
        frames.append(a)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def write_plume_outputs(table: pd.DataFrame, out: Path) -> list[Path]:
    """Write ``plumes.csv``, ``plumes.geojson`` and ``plumes_by_facility.csv`` into ``out``."""
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        table.to_csv(out / "plumes.csv", index=False)
        (out / "plumes.geojson").write_text(json.dumps(to_geojson(table), indent=1))
        persistence(table).to_csv(out / "plumes_by_facility.csv", index=False)
    except OSError as exc:
        raise InputError(
            f"cannot write the plume outputs ({exc}); choose a writable --out", file=out
        ) from exc
    return [out / n for n in ("plumes.csv", "plumes.geojson", "plumes_by_facility.csv")]


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
    from rich.progress import Progress

    from openmrv.case import load_case, read_facilities

    if neighbours and case is None:
        typer.echo(
            "error: --neighbours takes the known sources from a facility register: "
            "give --case CASE",
            err=True,
        )
        raise typer.Exit(2)
    try:
        facilities = read_facilities(load_case(case)) if case is not None else None
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
    n = int(table["detected"].sum())
    typer.echo(
        f"wrote {out / 'plumes.csv'}: {len(table)} scenes, {n} plumes quantified, "
        f"{len(figs)} quick-looks"
    )


__all__ = [
    "KG_S_TO_T_H",
    "detect_scenes",
    "persistence",
    "plumes_command",
    "quantify_scene",
    "scene_arrays",
    "scene_neighbours",
    "write_plume_outputs",
]
