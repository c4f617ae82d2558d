"""The report's "Planned improvements" section, from ``improvement_plan.csv`` (the run's
improvement plan, :mod:`openmrv.verify.improvement`): what the inventory team should do
next, category by category, the plume sites to measure first, and the what-if of
reporting those sites from their plume-derived rates. It computes nothing."""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from openmrv import runfolder as rf


def _read(run: Path) -> pd.DataFrame | None:
    p = run / rf.IMPROVEMENT_PLAN_CSV
    if not p.is_file() or p.stat().st_size <= 1:
        return None
    return pd.read_csv(p, keep_default_na=False, na_values=[""])


def _kt(v, lo, hi) -> str:
    if pd.isna(v):
        return ""
    text = f"{v:,.1f}"
    if not (pd.isna(lo) or pd.isna(hi)):
        text += f" ({lo:,.1f}–{hi:,.1f})"
    return text


def _rows(frame: pd.DataFrame, cols: list[tuple[str, str]]) -> str:
    head = "".join(f"<th>{html.escape(t)}</th>" for _, t in cols)
    body = ""
    for rec in frame.to_dict("records"):
        cells = []
        for c, _ in cols:
            if c == "value":
                cells.append(_kt(rec["value_kt"], rec["low_kt"], rec["high_kt"]))
            elif c == "variance_share":
                v = rec[c]
                cells.append("" if pd.isna(v) else f"{100 * v:.1f} %")
            else:
                v = rec[c]
                cells.append("" if pd.isna(v) else str(v))
        body += "<tr>" + "".join(f"<td>{html.escape(x)}</td>" for x in cells) + "</tr>"
    return f"<table><tr>{head}</tr>{body}</table>"


def planned_improvements(run: str | Path) -> str:
    """The "Planned improvements" section (HTML), or '' when the run has no plan."""
    plan = _read(Path(run))
    if plan is None or not len(plan):
        return ""
    cat = plan[plan["kind"] == "category"]
    site = plan[plan["kind"] == "site"]
    what = plan[plan["kind"] == "what-if"]
    out = (
        "<h2 id='improvements'>Planned improvements</h2><p>From improvement_plan.csv: the "
        "key categories estimated at Tier 1, those on which top-down evidence says the "
        "inventory is likely low, and those that hold most of the national total's "
        "uncertainty, each with the step the IPCC Guidelines offer; then the plume sites "
        "seen emitting on several days, to measure first.</p>"
    )
    if len(cat):
        out += "<h3>Categories</h3>" + _rows(
            cat,
            [
                ("priority", "priority"),
                ("category", "category"),
                ("gas", "gas"),
                ("tier", "tier"),
                ("value", "inventory [kt] (95 %)"),
                ("variance_share", "share of variance"),
                ("reason", "why"),
                ("step", "step"),
                ("guideline", "guideline"),
            ],
        )
    if len(site):
        out += "<h3>Persistent plume sites</h3>" + _rows(
            site,
            [
                ("priority", "priority"),
                ("name", "site"),
                ("year", "year"),
                ("days_detected", "days with plumes"),
                ("value", "annual rate [kt CH4] (95 %)"),
            ],
        )
        out += (
            "<p class='note'>Rates annualised from the plume catalogue by the Monte Carlo "
            f"of the plume evidence ({html.escape(str(site['top_down_evidence'].iloc[0]))}); "
            "each is a sampled rate of an emitter above the detection limit, a candidate "
            f"for measurement, not a measured annual emission. Step: "
            f"{html.escape(str(site['step'].iloc[0]))} ("
            f"{html.escape(str(site['guideline'].iloc[0]))}).</p>"
        )
    if len(what):
        out += "<h3>What if the persistent sites were reported from their plume rates</h3>"
        out += _rows(what, [("name", "quantity"), ("gas", "gas"), ("value", "[kt] (95 %)")])
        out += "<p>" + html.escape(str(what["reason"].iloc[0])) + "</p>"
    return out
