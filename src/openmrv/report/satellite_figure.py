"""The inventory's national CH4 series against a satellite record's series (PNG)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from openmrv.report.figures import _pyplot, _save

ATTRIBUTION = "Generated using Copernicus Climate Change Service information"


def satellite_record_chart(
    record: pd.DataFrame,
    inventory: pd.DataFrame,
    path: str | Path,
    product: str,
    country: str = "",
) -> Path:
    """Inventory national CH4 [Mt/yr] (line, 95 % band where given) against the record's
    annual estimates (points with 95 % bars; open markers: not detectable) and the
    detection limit (line).

    Parameters
    ----------
    record
        year, value_kt, low_kt, high_kt, detection_limit_kt, detectable.
    inventory
        year, value_kt and optionally low_kt, high_kt.
    """
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(9, 5), dpi=110)
    inv = inventory.sort_values("year")
    ax.plot(inv["year"], inv["value_kt"] / 1e3, color="#4c72b0", lw=2, label="inventory CH4")
    if {"low_kt", "high_kt"} <= set(inv.columns) and inv["low_kt"].notna().any():
        band = inv.dropna(subset=["low_kt", "high_kt"])
        ax.fill_between(
            band["year"],
            band["low_kt"] / 1e3,
            band["high_kt"] / 1e3,
            color="#4c72b0",
            alpha=0.2,
            label="inventory 95 %",
        )
    rec = record.sort_values("year")
    for det, marker in ((True, "o"), (False, "o")):
        part = rec[rec["detectable"].astype(bool) == det]
        if part.empty:
            continue
        y = part["value_kt"].to_numpy() / 1e3
        err = np.vstack([y - part["low_kt"] / 1e3, part["high_kt"] / 1e3 - y])
        ax.errorbar(
            part["year"],
            y,
            yerr=err,
            fmt=marker,
            color="#dd8452",
            capsize=3,
            mfc="#dd8452" if det else "white",
            label="satellite mass balance (95 %)" + ("" if det else ", not detectable"),
        )
    ax.plot(
        rec["year"], rec["detection_limit_kt"] / 1e3, color="grey", ls="--", label="detection limit"
    )
    ax.axhline(0, color="black", lw=0.5)
    ax.set_ylabel("CH4 [Mt / yr]")
    ax.set_title(f"{country} national CH4: inventory and {product}".strip())
    ax.legend(fontsize=8, frameon=False, loc="upper left")
    ax.grid(alpha=0.3)
    fig.text(0.01, 0.01, f"{product}; {ATTRIBUTION}", fontsize=7, color="#555555")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    return _save(fig, path)
