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
    path = Path(path)
    fig.savefig(path)
    plt.close(fig)
    return path


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
    path = Path(path)
    fig.savefig(path)
    plt.close(fig)
    return path
