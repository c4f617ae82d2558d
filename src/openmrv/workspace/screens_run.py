"""Screens of a finished run and between two runs: the verification view (the headline,
bottom-up against every top-down evidence row with its flag and explanation, and the maps the
run drew, served from the run folder through the login-checked file route), key categories
and uncertainty, and the recalculation table between two runs of a case
(:func:`openmrv.pipeline.recalculation_report`). Everything shown is read from the run
folders; synthetic (OSSE) rows stay labelled."""

from __future__ import annotations

import json
from urllib.parse import quote

import pandas as pd
from starlette.routing import Route

from openmrv import pipeline
from openmrv.errors import InputError
from openmrv.runfolder import spec as rf
from openmrv.workspace import versions
from openmrv.workspace.db import Workspace
from openmrv.workspace.models import RunRecord
from openmrv.workspace.pages import _e, _page, make_screen
from openmrv.workspace.runfiles import done_run, fmt, read_csv

#: the maps and figures of the verification view, in the order shown: file, caption
MAPS = (
    (rf.REGIONS_MAP_PNG, "regions (velayats), oil and gas sites, pipelines, catalogue plumes"),
    (rf.REGIONS_POSTERIOR_PNG, "the inversion's 1.B.2 posterior by region, on the borders"),
    (rf.PLUMES_MAP_PNG, "plumes"),
    (rf.SOUNDINGS_MAP_PNG, "satellite soundings over the country"),
    *((p, f"inversion: {p.rsplit('/', 1)[-1][:-4]}") for p in rf.INVERSION_MAPS_PNG),
    (rf.VERIFICATION_PNG, "bottom-up against top-down"),
    (rf.SATELLITE_RECORD_PNG, "inventory CH4 against the satellite record"),
)
#: a year column: a whole number without separators, blank where missing
YEAR = -1
#: a long text column (kept readable: a wide cell)
TEXT = -2
#: verification.csv columns shown, with the number of decimals (None: text, YEAR: a year)
VERIFY_SHOWN = (
    ("category", None),
    ("gas", None),
    ("evidence", None),
    ("evidence_year", YEAR),
    ("inventory_year", YEAR),
    ("bottom_up_kt", 1),
    ("bottom_up_low_kt", 1),
    ("bottom_up_high_kt", 1),
    ("top_down_kt", 1),
    ("top_down_sigma_kt", 1),
    ("top_down_low_kt", 1),
    ("top_down_high_kt", 1),
    ("z", 2),
    ("flag", None),
    ("explanation", TEXT),
)


def _cell(value: object, digits: int | None) -> str:
    if digits == TEXT:
        return f"<td class=x>{_e('' if pd.isna(value) else value)}</td>"
    if digits == YEAR:
        return f"<td>{'' if pd.isna(value) else int(value)}</td>"
    if digits is None:
        return f"<td>{_e('' if pd.isna(value) else value)}</td>"
    return f"<td class=n>{fmt(value, digits)}</td>"


def _table(frame: pd.DataFrame, columns: tuple[tuple[str, int | None], ...]) -> str:
    head = "".join(f"<th>{_e(c)}</th>" for c, _ in columns)
    body = "".join(
        "<tr>" + "".join(_cell(r[c], d) for c, d in columns) + "</tr>" for _, r in frame.iterrows()
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _auto(frame: pd.DataFrame, digits: int = 3) -> tuple[tuple[str, int | None], ...]:
    """Every column of ``frame``: numbers with ``digits`` decimals, the rest as text."""
    return tuple(
        (c, digits if pd.api.types.is_float_dtype(frame[c]) else None) for c in frame.columns
    )


def screen_routes(ws: Workspace) -> list[Route]:
    """The verification, uncertainty and comparison screens."""
    screen = make_screen(ws)

    def verification(request, db, user, token, form):
        cid, rid = request.path_params["case_id"], request.path_params["run_id"]
        folder = done_run(db, cid, rid)
        ver = read_csv(folder, rf.VERIFICATION_CSV)
        parts = []
        if (folder / rf.HEADLINE_JSON).is_file():
            head = json.loads((folder / rf.HEADLINE_JSON).read_text())
            lines = head.get("lines", [])
            parts.append(
                f"<h2>Headline</h2><div class=headline><p><b>{_e(lines[0] if lines else '')}"
                "</b></p>" + "".join(f"<p>{_e(x)}</p>" for x in lines[1:]) + "</div>"
            )
        real, osse = ver[~ver["osse"].astype(bool)], ver[ver["osse"].astype(bool)]
        parts.append(
            f"<h2>Bottom-up against top-down ({len(ver)} evidence rows)</h2><p>kt per year; "
            "bottom-up and top-down 95 % bounds; a lower-bound evidence row can show the "
            "inventory too low, never agree with it</p>" + _table(real, VERIFY_SHOWN)
        )
        if len(osse):
            parts.append(
                "<h2>Synthetic (OSSE) rows: not evidence about the inventory</h2>"
                + _table(osse, VERIFY_SHOWN)
            )
        maps = "".join(
            f'<figure><img src="/cases/{cid}/runs/{rid}/files/{quote(name)}" alt="{_e(cap)}">'
            f"<figcaption>{_e(cap)} ({_e(name)})</figcaption></figure>"
            for name, cap in MAPS
            if (folder / name).is_file()
        )
        parts.append(f"<h2>Maps</h2>{maps or '<p>this run drew no maps</p>'}")
        return _page(f"Verification, run {rid}", "".join(parts), user)

    def uncertainty(request, db, user, token, form):
        cid, rid = request.path_params["case_id"], request.path_params["run_id"]
        folder = done_run(db, cid, rid)
        keys = read_csv(folder, rf.KEY_CATEGORIES_CSV)
        unc = read_csv(folder, rf.UNCERTAINTY_APPROACH2_CSV)
        trend = read_csv(folder, rf.UNCERTAINTY_TREND_CSV, required=False)
        key_cols = tuple((c, 4 if c.endswith("_share") else d) for c, d in _auto(keys))
        body = (
            f"<h2>Key categories ({int(keys['key_category'].astype(bool).sum())} of "
            f"{len(keys)})</h2><p>from {rf.KEY_CATEGORIES_CSV}: level and trend, IPCC "
            "Approach 1 and 2 (2006 Guidelines Vol 1 Ch 4)</p>"
            + _table(keys, key_cols)
            + f"<h2>Uncertainty, Approach 2 (Monte Carlo)</h2><p>from "
            f"{rf.UNCERTAINTY_APPROACH2_CSV}: Gg CO2e by category and year, 95 % interval"
            "</p>" + _table(unc, _auto(unc))
        )
        if trend is not None:
            body += "<h2>Trend uncertainty</h2>" + _table(trend, _auto(trend))
        return _page(f"Key categories and uncertainty, run {rid}", body, user)

    def compare(request, db, user, token, form):
        cid = request.path_params["case_id"]
        q = request.query_params
        done = [
            r.id
            for r in db.query(RunRecord).filter_by(case_id=cid, state="done").order_by(RunRecord.id)
        ]
        picks = {}
        for name in ("previous", "current"):
            text = q.get(name, "")
            if not text.isdigit():
                raise InputError(
                    f"give the {name} run's id (finished runs: {done or 'none'})", field=name
                )
            picks[name] = int(text)
        prev = done_run(db, cid, picks["previous"])
        cur = done_run(db, cid, picks["current"])
        changes, inputs = pipeline.recalculation_report(prev, cur)
        cols = (
            ("category", None),
            ("gas", None),
            ("year", YEAR),
            ("previous_Gg", 4),
            ("current_Gg", 4),
            ("difference_Gg", 4),
            ("difference_pct", 2),
            ("factors_previous", None),
            ("factors_current", None),
        )
        changed = inputs if len(inputs) else pd.DataFrame({"input": [], "status": []})
        runs = ", ".join(
            f'<a href="/cases/{cid}/runs/{r}">run {r}</a>'
            for r in (picks["previous"], picks["current"])
        )
        body = (
            f"<p>{runs}: {len(changes)} estimates differ (category, gas and year; Gg)</p>"
            + _table(changes, cols)
            + "<h2>Input files that changed</h2>"
            + _table(changed, (("input", None), ("status", None)))
        )
        v = versions.list_versions(db, cid)
        note = "".join(
            f"<li>version {x['number']}: run folder {_e(x['run_folder'])}</li>"
            for x in v
            if x["run_folder"]
        )
        if note:
            body += f"<h2>Runs of approved versions</h2><ul>{note}</ul>"
        title = f"Recalculations: run {picks['previous']} to run {picks['current']}"
        return _page(title, body, user)

    run = "/cases/{case_id:int}/runs/{run_id:int}"
    return [
        Route(f"{run}/verification", screen(verification), methods=["GET"]),
        Route(f"{run}/uncertainty", screen(uncertainty), methods=["GET"]),
        Route("/cases/{case_id:int}/compare", screen(compare), methods=["GET"]),
    ]
