"""Figures of an inventory run (matplotlib, Agg backend, PNG files)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from openmrv.categories import title
from openmrv.dataformat import years

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
            labels.append(f"{code} {title(code)}")
            colours.append(COLOURS[code])
    fig, ax = plt.subplots(figsize=(9, 4.8), dpi=110)
    ax.stackplot(ys, *series, labels=labels, colors=colours, alpha=0.9)
    ax.set_ylabel(f"Mt CO2e / yr ({ds[var].attrs['gwp_context']})")
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
