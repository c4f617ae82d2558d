"""The report's time-series section: how each sector's gaps were filled (from
``gap_filling.csv``) and, in words, the sectors whose trend is flat because one reported
year was held constant (the ``warnings`` of ``run.json``, from
:func:`openmrv.estimate.inventory.timeseries.held_constant_warnings`)."""

from __future__ import annotations

import html
import json
from pathlib import Path

import pandas as pd

from openmrv import runfolder as rf


def filled_by_sector(gap_filling: pd.DataFrame) -> pd.DataFrame:
    """Series and values filled per IPCC sector and technique.

    Returns
    -------
    pandas.DataFrame
        sector, technique, series (count), values filled (count), years (first-last).
    """
    cols = ["sector", "technique", "series", "values filled", "years"]
    if gap_filling.empty:
        return pd.DataFrame(columns=cols)
    g = gap_filling.assign(sector=gap_filling["category"].astype(str).str.split(".").str[0])
    rows = []
    for (sector, tech), grp in g.groupby(["sector", "technique"], sort=True):
        n = grp[["category", "activity", "key"]].drop_duplicates().shape[0]
        span = f"{int(grp['year'].min())}-{int(grp['year'].max())}"
        rows.append([sector, tech, n, len(grp), span])
    return pd.DataFrame(rows, columns=cols)


def time_series_html(run: Path) -> str:
    """The HTML of the time-series consistency part of the report ("" without gaps)."""
    path = run / rf.GAP_FILLING_CSV
    if not path.is_file() or path.stat().st_size == 0:
        return ""
    gap = pd.read_csv(path, dtype={"category": str, "key": str}, keep_default_na=False)
    if gap.empty:
        return ""
    table = filled_by_sector(gap)
    meta = run / rf.RUN_JSON
    warn = json.loads(meta.read_text()).get("warnings", []) if meta.is_file() else []
    held = [w for w in warn if "held constant" in str(w)]
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in r) + "</tr>"
        for r in table.itertuples(index=False)
    )
    head = "".join(f"<th>{html.escape(c)}</th>" for c in table.columns)
    return (
        "<h3>Time-series consistency (IPCC 2006 Vol 1 Ch 5)</h3><p>Activity values the "
        "case does not report for a year were filled as below (every value and its "
        "technique: gap_filling.csv).</p>"
        f"<table><tr>{head}</tr>{rows}</table>"
        + "".join(
            f"<p class='warning'><b>Flat by construction.</b> {html.escape(w)}</p>" for w in held
        )
    )
