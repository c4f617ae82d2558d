"""Map of a case's geography: region polygons, the facility register's oil and gas sites
by location class, the operating pipelines and the catalogue plumes (``regions_map.png``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from openmrv.report.figures import _pyplot, _save

#: marker of each location class (filled: exact; open: approximate)
MARKERS = {"exact": "o", "field_centroid": "s", "town_centroid": "^", "": "x"}


def _draw(ax, geom, **kw) -> None:
    for part in shapely.get_parts(geom):
        if part.geom_type == "Polygon":
            xy = np.asarray(part.exterior.coords)
            ax.plot(xy[:, 0], xy[:, 1], **kw)
        elif part.geom_type == "LineString":
            xy = np.asarray(part.coords)
            ax.plot(xy[:, 0], xy[:, 1], **kw)
        elif part.geom_type in ("MultiLineString", "MultiPolygon", "GeometryCollection"):
            _draw(ax, part, **kw)


def region_map(
    regions, facilities: pd.DataFrame, pipelines: pd.DataFrame, plumes: pd.DataFrame, path
) -> Path:
    """Draw the map into ``path`` (PNG).

    Parameters
    ----------
    regions
        An object with ``names`` and ``geometries`` (shapely polygons, lon/lat).
    facilities
        Register: lat, lon, type, category, location_accuracy.
    pipelines
        Operating pipelines with shapely ``geometry`` (lon/lat).
    plumes
        Plumes with lat, lon, rate_t_per_h (may be empty).
    """
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(9, 6.2))
    for name, geom in zip(regions.names, regions.geometries, strict=True):
        _draw(ax, geom, color="0.35", lw=0.8)
        c = geom.representative_point()
        ax.text(c.x, c.y, name, ha="center", va="center", fontsize=10, color="0.25", alpha=0.8)
    for i, g in enumerate(pipelines.get("geometry", [])):
        _draw(
            ax,
            g,
            color="#4c72b0",
            lw=1.1,
            alpha=0.7,
            label="pipeline (operating)" if i == 0 else None,
        )
    if len(plumes):
        rate = plumes["rate_t_per_h"].to_numpy(float)
        ax.scatter(plumes["lon"], plumes["lat"], s=4 + rate / 2, color="#c44e52", alpha=0.35,
                   lw=0, label="catalogue plume (area ~ rate)")  # fmt: skip
    og = facilities[facilities["category"].astype(str).str.startswith("1.B.2")]
    acc = og["location_accuracy"].fillna("").astype(str) if len(og) else pd.Series(dtype=str)
    for cls, marker in MARKERS.items():
        sel = og[acc == cls]
        if len(sel):
            fields = sel["type"].astype(str).str.endswith("_field")
            ax.scatter(sel.loc[fields, "lon"], sel.loc[fields, "lat"], marker=marker, s=36,
                       color="#222222", label=f"field ({cls or 'class unknown'})")  # fmt: skip
            if (~fields).any():
                ax.scatter(sel.loc[~fields, "lon"], sel.loc[~fields, "lat"], marker=marker,
                           s=30, facecolor="none", edgecolor="#8172b3",
                           label=f"plant / station ({cls or 'class unknown'})")  # fmt: skip
    ax.set_xlabel("longitude [°E]")
    ax.set_ylabel("latitude [°N]")
    ax.set_aspect(1 / np.cos(np.radians(np.mean(ax.get_ylim()))))
    ax.legend(loc="lower left", fontsize=7, framealpha=0.8)
    ax.set_title("Oil and gas sites, pipelines and plumes by region", fontsize=11)
    fig.tight_layout()
    return _save(fig, path)


def region_posterior_map(regions, table: pd.DataFrame, path) -> Path | None:
    """The inversion's 1.B.2 CH4 by region on the region borders (``regions_posterior.png``):
    each region coloured by its posterior over its prior, labelled with the posterior and
    its 1σ [kt]; the title carries the inversion's label ("OSSE, synthetic" or "real
    soundings"). None (nothing drawn) when the table has no inversion columns."""
    need = ("inversion_1B2_prior_kt", "inversion_1B2_posterior_kt")
    if any(c not in table for c in need):
        return None
    rows = table.set_index("region")
    label = ", ".join(sorted({str(x) for x in table.get("inversion_label", pd.Series()).dropna()}))
    plt = _pyplot()
    from matplotlib.colors import TwoSlopeNorm

    norm = TwoSlopeNorm(vmin=0.5, vcenter=1.0, vmax=1.5)
    cmap = plt.get_cmap("RdBu_r")
    fig, ax = plt.subplots(figsize=(9, 6.2))
    for name, geom in zip(regions.names, regions.geometries, strict=True):
        if name not in rows.index:
            continue
        r = rows.loc[name]
        prior, post = float(r["inversion_1B2_prior_kt"]), float(r["inversion_1B2_posterior_kt"])
        ratio = post / prior if prior > 0 else np.nan
        face = "0.9" if not np.isfinite(ratio) else cmap(norm(np.clip(ratio, 0.5, 1.5)))
        for part in shapely.get_parts(geom):
            if part.geom_type == "Polygon":
                xy = np.asarray(part.exterior.coords)
                ax.fill(xy[:, 0], xy[:, 1], color=face, lw=0)
        _draw(ax, geom, color="0.3", lw=0.8)
        sigma = float(r.get("inversion_1B2_posterior_sigma_kt", np.nan))
        c = geom.representative_point()
        ax.text(c.x, c.y, f"{name}\n{post:,.0f} ± {sigma:,.0f} kt\n(prior {prior:,.0f})",
                ha="center", va="center", fontsize=8, color="0.1")  # fmt: skip
    sm = plt.cm.ScalarMappable(norm=norm, cmap=cmap)
    fig.colorbar(sm, ax=ax, shrink=0.7, label="1.B.2 CH4 posterior / prior")
    ax.set_xlabel("longitude [°E]")
    ax.set_ylabel("latitude [°N]")
    ax.set_aspect(1 / np.cos(np.radians(np.mean(ax.get_ylim()))))
    ax.set_title(f"Inversion: 1.B.2 CH4 by region, posterior ± 1σ ({label or 'inversion'})",
                 fontsize=11)  # fmt: skip
    fig.tight_layout()
    return _save(fig, path)
