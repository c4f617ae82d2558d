"""Figures of an inventory run (matplotlib, Agg backend, PNG files)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from openmrv.dataformat import years
from openmrv.report.wording import crt_label, gwp_words

SECTORS = ("1.A", "1.B", "2", "3", "4")
COLOURS = {"1.A": "#4c72b0", "1.B": "#dd8452", "2": "#8172b3", "3": "#55a868", "4": "#937860"}


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: str | Path) -> Path:
    """Save a figure as PNG without metadata that could vary between runs."""
    plt = _pyplot()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, metadata={"Software": None})
    plt.close(fig)
    return path


def emissions_by_sector(ds: xr.Dataset, path: str | Path) -> Path:
    """Stacked area of CO2-equivalent emissions by IPCC sector over the inventory years."""
    plt = _pyplot()
    var = next(str(n) for n in ds.data_vars if str(n).startswith("KYOTOGHG"))
    cat = ds.attrs["cat"]
    ys = years(ds)
    series, labels, colours = [], [], []
    for code in SECTORS:
        if code in ds[cat].values:
            v = ds[var].sel({cat: code}).isel({"area (ISO3)": 0, "source": 0}).values / 1000
            series.append(np.nan_to_num(v))
            labels.append(crt_label(code))
            colours.append(COLOURS[code])
    fig, ax = plt.subplots(figsize=(9, 4.8), dpi=110)
    ax.stackplot(ys, *series, labels=labels, colors=colours, alpha=0.9)
    ax.set_ylabel(f"Mt CO2e / yr ({gwp_words(ds[var].attrs['gwp_context'])})", fontsize=8)
    ax.set_title(f"{ds.attrs.get('title', '')}")
    ax.set_xlim(ys[0], ys[-1])
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return _save(fig, path)


def comparison(table: pd.DataFrame, year: int, path: str | Path) -> Path | None:
    """Bars of openmrv against third-party estimates by comparable sector for one year."""
    sel = table[table["year"] == year]
    if sel.empty:
        return None
    plt = _pyplot()
    refs = sorted(sel["reference"].unique())
    sectors = list(dict.fromkeys(sel["comparable_sector"]))
    fig, ax = plt.subplots(figsize=(10, 5), dpi=110)
    width = 0.8 / (len(refs) + 1)
    x = np.arange(len(sectors))
    ours = [sel[sel["comparable_sector"] == s]["openmrv_Mt_CO2e"].iloc[0] for s in sectors]
    ax.bar(x - 0.4 + width / 2, ours, width, label="openmrv", color="black")
    for i, ref in enumerate(refs, start=1):
        vals = [
            sel[(sel["comparable_sector"] == s) & (sel["reference"] == ref)][
                "reference_Mt_CO2e"
            ].sum(min_count=1)
            for s in sectors
        ]
        ax.bar(x - 0.4 + width / 2 + i * width, vals, width, label=ref)
    ax.set_xticks(x, [s.replace(" (", "\n(") for s in sectors], fontsize=7, rotation=30, ha="right")
    ax.set_ylabel("Mt CO2e / yr (each source's own GWP metric)")
    ax.set_title(f"openmrv against third-party estimates, {year}")
    ax.legend(fontsize=8, frameon=False)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return _save(fig, path)


def verification_chart(table: pd.DataFrame, path: str | Path) -> Path | None:
    """Bottom-up (95 % interval) against top-down (95 %: 1.96 sigma) per row of a
    ``verification.csv`` table; OSSE rows are labelled synthetic, lower bounds marked."""
    if table.empty:
        return None
    plt = _pyplot()
    z95 = 1.959963984540054
    fig, ax = plt.subplots(figsize=(9, 0.6 * len(table) + 1.8), dpi=110)
    y = np.arange(len(table))[::-1]
    bu = table["bottom_up_kt"].to_numpy(float)
    ax.errorbar(
        bu,
        y + 0.15,
        xerr=[
            bu - table["bottom_up_low_kt"].to_numpy(float),
            table["bottom_up_high_kt"].to_numpy(float) - bu,
        ],
        fmt="s",
        color="black",
        capsize=3,
        label="bottom-up (inventory, 95 %)",
    )
    tdv = table["top_down_kt"].to_numpy(float)
    ax.errorbar(
        tdv,
        y - 0.15,
        xerr=z95 * table["top_down_sigma_kt"].to_numpy(float),
        fmt="o",
        color="#dd8452",
        capsize=3,
        label="top-down (95 %)",
    )
    osse = table.get("osse", pd.Series(False, index=table.index)).astype(str).str.lower()
    labels = [
        f"{r.category} {r.gas} {r.evidence_year}\n{getattr(r, 'evidence', '')}"
        + (" [OSSE — synthetic]" if o in ("true", "1") else "")
        for r, o in zip(table.itertuples(), osse, strict=True)
    ]
    ax.set_yticks(y, labels, fontsize=7)
    for yy, f in zip(y, table["flag"], strict=True):
        ax.annotate(
            str(f),
            (1.0, yy),
            xycoords=("axes fraction", "data"),
            fontsize=7,
            ha="right",
            va="center",
            color="#555555",
        )
    ax.set_xlabel("kt of gas / yr")
    ax.set_title("Bottom-up against top-down (2019 Refinement Vol 1 Ch 6)")
    ax.legend(fontsize=8, frameon=False, loc="lower left")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return _save(fig, path)


def plume_map(plumes: pd.DataFrame, path: str | Path, title: str = "") -> Path | None:
    """Plume locations sized by rate [t/h], own detections and catalogues apart."""
    if plumes.empty:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 5.5), dpi=110)
    for (src, g), colour in zip(
        plumes.groupby(plumes["source"].astype(str)),
        ("#c44e52", "#4c72b0", "#55a868", "#8172b3"),
        strict=False,
    ):
        ax.scatter(
            g["lon"],
            g["lat"],
            s=4 + 2 * np.sqrt(g["rate_t_per_h"].clip(lower=0)) ** 1.5,
            alpha=0.5,
            color=colour,
            edgecolor="none",
            label=f"{src} ({len(g)})",
        )
    ax.set_xlabel("longitude [°E]")
    ax.set_ylabel("latitude [°N]")
    ax.set_aspect(1 / np.cos(np.radians(float(plumes["lat"].mean()))))
    ax.set_title(title or "Methane plumes (marker area grows with the rate)")
    ax.legend(fontsize=7, frameon=False)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return _save(fig, path)


def plume_persistence(plumes: pd.DataFrame, path: str | Path, top: int = 8) -> Path | None:
    """Detections over time at the sites detected most often: one panel per facility
    (the ``top`` with most attributed plumes), each plume's rate ± 1σ [t/h] against its
    date, coloured by who detected it. None when no plume is attributed."""
    if plumes.empty or "facility_id" not in plumes:
        return None
    fac = plumes["facility_id"].fillna("").astype(str)
    att = plumes[fac != ""].assign(facility_id=fac[fac != ""])
    if att.empty:
        return None
    order = (
        att["facility_id"].value_counts().sort_index().sort_values(ascending=False, kind="stable")
    )
    sites = list(order.index[:top])
    plt = _pyplot()
    import matplotlib.dates as mdates

    fig, axes = plt.subplots(
        len(sites), 1, figsize=(8, 1.2 + 1.1 * len(sites)), dpi=110, sharex=True, squeeze=False
    )
    sources = sorted(att["source"].astype(str).unique())
    colours = dict(zip(sources, ("#4c72b0", "#c44e52", "#55a868", "#8172b3"), strict=False))
    times = pd.to_datetime(att["time"])
    for ax, site in zip(axes[:, 0], sites, strict=True):
        g = att[att["facility_id"] == site]
        for src, h in g.groupby(g["source"].astype(str)):
            ax.errorbar(
                pd.to_datetime(h["time"]),
                h["rate_t_per_h"],
                yerr=h["rate_sigma_t_per_h"],
                fmt="o",
                ms=3,
                lw=0.8,
                color=colours.get(src, "0.4"),
                label=src,
            )
        ax.set_ylabel(f"{site}\n[t/h]", fontsize=7)
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        n = len(g)
        ax.text(
            0.99, 0.85, f"{n} plume{'s' * (n != 1)}", transform=ax.transAxes, ha="right", fontsize=7
        )
    axes[0, 0].set_xlim(times.min() - pd.Timedelta(days=7), times.max() + pd.Timedelta(days=7))
    locator = mdates.AutoDateLocator()
    axes[-1, 0].xaxis.set_major_locator(locator)
    axes[-1, 0].xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    handles, labels = [], []
    for ax in axes[:, 0]:
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    fig.suptitle(
        "Plume detections over time at the most often detected sites (rate ± 1σ)", fontsize=9
    )
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.5 / fig.get_figheight()))
    fig.legend(
        handles,
        labels,
        loc="upper center",
        bbox_to_anchor=(0.5, 1 - 0.22 / fig.get_figheight()),
        ncol=2,
        fontsize=7,
        frameon=False,
    )
    return _save(fig, path)


def inversion_maps(
    prior: np.ndarray,
    posterior: np.ndarray,
    sensitivity: np.ndarray,
    land: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
    bounds: tuple[float, float, float, float],
    out: Path,
    label: str,
) -> list[Path]:
    """Maps of an inversion on its grid: prior and posterior emissions [t km⁻² yr⁻¹], their
    ratio and the averaging-kernel sensitivity, each with the land outline; ``bounds`` =
    (west, south, east, north) of the grid, ``label`` the second title line."""
    plt = _pyplot()
    from matplotlib.colors import LogNorm, Normalize

    w, s, e, n = bounds
    ratio = np.where(prior > 0, posterior / np.where(prior > 0, prior, 1), np.nan)
    ak = sensitivity
    postm = posterior
    panels = [
        ("prior.png", prior, "prior CH4 [t km⁻² yr⁻¹]", "viridis", None),
        ("posterior.png", postm, "posterior CH4 [t km⁻² yr⁻¹]", "viridis", None),
        ("ratio.png", ratio, "posterior / prior", "RdBu_r", (0.0, 2.0)),
        ("sensitivity.png", ak, "averaging-kernel sensitivity (diagonal of A)", "magma", (0, 1)),
    ]
    files = []
    for name, data, heading, cmap, lim in panels:
        fig, ax = plt.subplots(figsize=(7, 4.2))
        if lim is None:  # emissions span orders of magnitude: log scale, zero masked
            pos = data[np.isfinite(data) & (data > 0)]
            norm = LogNorm(pos.min(), pos.max()) if pos.size else None
            data = np.where(data > 0, data, np.nan)
        else:
            norm = Normalize(*lim)
        im = ax.imshow(
            np.ma.masked_invalid(data),
            origin="lower",
            extent=(w, e, s, n),
            cmap=cmap,
            norm=norm,
            aspect="auto",
        )
        ax.contour(lon, lat, land.astype(float), levels=[0.5], colors="k", linewidths=0.6)
        fig.colorbar(im, ax=ax)
        ax.set_title(f"{heading}\n{label}", fontsize=9)
        ax.set_xlabel("longitude [°E]")
        ax.set_ylabel("latitude [°N]")
        fig.tight_layout()
        fig.savefig(out / name, dpi=110)
        plt.close(fig)
        files.append(out / name)
    return files


def _plane_filled(a: np.ndarray) -> np.ndarray:
    """Coordinates with missing pixels filled by a plane fitted in (row, col) (figures only)."""
    ok = np.isfinite(a)
    if ok.all():
        return a
    rr, cc = np.indices(a.shape)
    g = np.column_stack([np.ones(ok.sum()), rr[ok], cc[ok]])
    coef = np.linalg.lstsq(g, a[ok], rcond=None)[0]
    return np.where(ok, a, coef[0] + coef[1] * rr + coef[2] * cc)


def plume_quicklook(work: dict, path: Path) -> Path:
    """A PNG of the plume: enhancement over the background, mask outline, wind arrow and
    source pixel."""
    plt = _pyplot()
    sc, det, wind = work["scene"], work["det"], work["wind"]
    lat, lon = _plane_filled(sc["lat"]), _plane_filled(sc["lon"])
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


def soundings_map(
    soundings: xr.Dataset, path: str | Path, outlines: list[np.ndarray] | tuple = ()
) -> Path:
    """Write a PNG map of the soundings (XCH4 [ppb] by colour) with ``outlines`` (rings of
    (lon, lat) vertices, e.g. the country's outer borders) drawn in black."""
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
    for ring in outlines:
        ax.plot(ring[:, 0], ring[:, 1], color="k", lw=0.8)
        xs.append(ring[:, 0])
        ys.append(ring[:, 1])
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
