"""The inventory tree of a finished run: the national total down to each estimate, each
estimate one click from its detail (the activity series it used, the factor table rows with
citation, unit and uncertainty, the equation and tier, and the workspace's activity rows
behind it). Everything is read from the run folder (``emissions.csv``, ``activity.csv``,
``run.json``) and the run's case (its factor tables); the tree only adds the estimates up the
IPCC hierarchy and weights the gases with the run's GWP set."""

from __future__ import annotations

import math
from urllib.parse import urlencode

import pandas as pd
from starlette.routing import Route

from openmrv import categories, gwp
from openmrv.errors import InputError
from openmrv.runfolder import spec as rf
from openmrv.workspace import activity
from openmrv.workspace.db import Workspace
from openmrv.workspace.errors import NotFoundError
from openmrv.workspace.pages import _e, _page, make_screen
from openmrv.workspace.runfiles import (
    case_dir,
    done_run,
    factors_by_id,
    fmt,
    read_csv,
    run_json,
)
from openmrv.workspace.screens_review import review_section

ESTIMATE_KEYS = ("category", "gas", "activity", "key")


def _co2e(gas: str, gwp_set: str) -> float:
    """The GWP of ``gas`` in the run's set, NaN where the set has none (shown blank)."""
    try:
        return gwp.gwp(gas, gwp_set)
    except InputError:
        return math.nan


def tree_rows(em: pd.DataFrame, year: int, gwp_set: str, system: str) -> list[dict]:
    """The tree of ``year``: one node per category (own estimates and everything below it)
    in the Guidelines' order, each followed by its own estimates.

    Returns
    -------
    list of dict
        ``kind`` ("node" or "estimate"), ``code``, ``level``, ``gases`` (Gg by gas),
        ``co2e`` (Gg CO2e; NaN where a gas has no GWP in the set) and, for an estimate,
        ``activity`` and ``key``.
    """
    rows = em[em["year"] == year]
    weight = {g: _co2e(g, gwp_set) for g in rows["gas"].unique()}
    nodes: dict[str, dict[str, float]] = {}
    for cat, gas, value in zip(rows["category"], rows["gas"], rows["value_Gg"], strict=True):
        for code in (str(cat), *categories.ancestors(str(cat), system)):
            sums = nodes.setdefault(code, {})
            sums[gas] = sums.get(gas, 0.0) + float(value)
    out = []
    for code in categories.sort_codes(nodes):
        gases = nodes[code]
        co2e = sum(v * weight[g] for g, v in gases.items())
        out.append(
            {
                "kind": "node",
                "code": code,
                "level": categories.level(code),
                "gases": gases,
                "co2e": co2e,
            }
        )
        own = rows[rows["category"] == code].groupby(["gas", "activity", "key"], sort=True)
        for (gas, act, key), grp in own:
            value = float(grp["value_Gg"].sum())
            out.append(
                {
                    "kind": "estimate",
                    "code": code,
                    "level": categories.level(code) + 1,
                    "gases": {gas: value},
                    "co2e": value * weight[gas],
                    "gas": gas,
                    "activity": act,
                    "key": key,
                }
            )
    return out


def screen_routes(ws: Workspace) -> list[Route]:
    """The inventory tree and estimate detail screens of a finished run."""
    screen = make_screen(ws)

    def tree(request, db, user, token, form):
        cid, rid = request.path_params["case_id"], request.path_params["run_id"]
        folder = done_run(db, cid, rid)
        em = read_csv(folder, rf.EMISSIONS_CSV)
        meta = run_json(folder)
        years = sorted(int(y) for y in em["year"].unique())
        text = request.query_params.get("year") or str(years[-1])
        if not text.isdigit() or int(text) not in years:
            raise InputError(
                f"year {text} is not in this run ({years[0]}-{years[-1]})", field="year"
            )
        year = int(text)
        gases = sorted(em.loc[em["year"] == year, "gas"].unique())
        base = f"/cases/{cid}/runs/{rid}"
        out = []
        for r in tree_rows(em, year, meta["gwp"], meta["category_system"]):
            pad = f"padding-left:{0.3 + 1.2 * r['level']}em"
            cells = "".join(f"<td class=n>{fmt(r['gases'].get(g))}</td>" for g in gases)
            if r["kind"] == "node":
                title = categories.title(r["code"], meta["category_system"])
                name = f"<b>{_e(r['code'])}</b> {_e(title)}"
                out.append(
                    f"<tr class=node data-code='{_e(r['code'])}'><td style='{pad}'>{name}</td>"
                    f"{cells}<td class=n>{fmt(r['co2e'])}</td></tr>"
                )
            else:
                q = urlencode({k: r[k] if k != "category" else r["code"] for k in ESTIMATE_KEYS})
                link = f'<a href="{base}/estimate?{_e(q)}">{_e(r["activity"])} / {_e(r["key"])}</a>'
                out.append(
                    f"<tr class=est><td style='{pad}'>{link} ({_e(r['gas'])})</td>{cells}"
                    f"<td class=n>{fmt(r['co2e'])}</td></tr>"
                )
        picks = " ".join(
            f'<a href="{base}/inventory?year={y}">{y}</a>' if y != year else f"<b>{y}</b>"
            for y in years
        )
        head = "".join(f"<th>{_e(g)} Gg</th>" for g in gases)
        body = (
            f"<p>run {rid} of case {cid}, {_e(meta.get('case'))}; year: {picks}; "
            f'<a href="{base}/tree?year={year}">foldable tree</a></p>'
            f"<p>from the run's {rf.EMISSIONS_CSV}; CO2e with {_e(meta['gwp'])} "
            "(blank where the set has no GWP for a gas); each estimate links to its activity "
            f"data, factors and equation</p><table><tr><th>category / estimate</th>{head}"
            f"<th>Gg CO2e</th></tr>{''.join(out)}</table>"
        )
        return _page(f"Inventory {year}, run {rid}", body, user)

    def estimate(request, db, user, token, form):
        cid, rid = request.path_params["case_id"], request.path_params["run_id"]
        folder = done_run(db, cid, rid)
        want = {k: request.query_params.get(k, "") for k in ESTIMATE_KEYS}
        em = read_csv(folder, rf.EMISSIONS_CSV)
        pick = em
        for k, v in want.items():
            pick = pick[pick[k].astype(str) == v]
        if pick.empty:
            raise NotFoundError(f"this run has no estimate {' / '.join(want.values())}")
        pick = pick.sort_values("year")
        acts = read_csv(folder, rf.ACTIVITY_CSV)
        for k, v in want.items():
            acts = acts[acts[k].astype(str) == v]
        by_year = {
            int(y): (v, u)
            for y, v, u in zip(acts["year"], acts["value"], acts["unit"], strict=True)
        }
        series = "".join(
            f"<tr><td>{int(r.year)}</td><td class=n>{fmt(by_year.get(int(r.year), ('',))[0])}"
            f"</td><td>{_e(by_year.get(int(r.year), ('', ''))[1])}</td>"
            f"<td>{_e('' if pd.isna(r.activity_flag) else r.activity_flag)}</td>"
            f"<td class=n>{fmt(r.value_Gg, 4)}</td><td>{int(r.tier)}</td>"
            f"<td>{_e(r.factors)}</td></tr>"
            for r in pick.itertuples()
        )
        ids = {f for text in pick["factors"].dropna() for f in str(text).split(";") if f}
        found = factors_by_id(folder, case_dir(db, rid), ids)
        factor_rows = "".join(
            f"<tr id='{_e(f.id)}'><td>{_e(f.id)}</td><td>{_e(f.parameter)}</td>"
            f"<td>{_e(f.gas)}</td><td class=n>{_e(f.value)}</td><td>{_e(f.unit)}</td>"
            f"<td class=n>{fmt(f.low, 4)}</td><td class=n>{fmt(f.high, 4)}</td>"
            f"<td class=n>{fmt(f.uncertainty_pct, 1)}</td><td>{_e(f.distribution)}</td>"
            f"<td>{f.tier}</td><td>{_e(f.citation())}</td><td>{_e(f.notes)}</td></tr>"
            for f in sorted(found.values(), key=lambda f: f.id)
        )
        missing = sorted(ids - set(found))
        lost = (
            f"<p class=error>factor rows not in the case's tables now: {_e(', '.join(missing))}</p>"
            if missing
            else ""
        )
        # the rows it was made from: the same activity and key, entered under its category
        # or a category above it (a handler may split 1.B.2.b into its sub-categories)
        system = run_json(folder)["category_system"]
        above = {want["category"], *categories.ancestors(want["category"], system)}
        ws_rows = [
            r
            for r in activity.list_rows(db, cid, want["category"].split(".")[0])
            if r["category"] in above and r["activity"] == want["activity"]
            and r["key"] == want["key"]
        ]  # fmt: skip
        entry_cat = ws_rows[0]["category"] if ws_rows else want["category"]
        entry = f"/cases/{cid}/activity?{urlencode({'category': entry_cat})}"
        ws_list = ", ".join(
            f"{_e(r['form'])} row {r['row']} ({r['year']}: {_e(r['value'])} {_e(r['unit'])})"
            for r in ws_rows[:40]
        )
        more = f" and {len(ws_rows) - 40} more" if len(ws_rows) > 40 else ""
        first = pick.iloc[0]
        tiers = sorted({int(t) for t in pick["tier"]})
        body = (
            f'<p><a href="/cases/{cid}/runs/{rid}/inventory">back to the inventory tree</a></p>'
            f"<table><tr><th>category</th><td>{_e(want['category'])} "
            f"{_e(categories.title(want['category']))}</td></tr>"
            f"<tr><th>gas</th><td>{_e(want['gas'])}</td></tr>"
            f"<tr><th>method</th><td>{_e(first['method'])}</td></tr>"
            f"<tr><th>equation</th><td class=eq>{_e(first['equation'])}</td></tr>"
            f"<tr><th>tier</th><td>{', '.join(map(str, tiers))}</td></tr>"
            f"<tr><th>activity source</th><td>{_e(first['activity_source'])}</td></tr>"
            f"<tr><th>factor sources</th><td>{_e(first['factor_sources'])}</td></tr>"
            f"<tr><th>activity rows in the workspace</th><td>"
            f"{ws_list or 'none (a value filled in or derived)'}{more} "
            f'(<a href="{_e(entry)}">data entry {_e(entry_cat)}</a>)</td></tr></table>'
            "<h2>Series</h2><table><tr><th>year</th><th>activity</th><th>unit</th>"
            "<th>flag</th><th>emissions Gg</th><th>tier</th><th>factor rows</th></tr>"
            f"{series}</table><h2>Factor rows</h2>{lost}<table><tr><th>row</th>"
            "<th>parameter</th><th>gas</th><th>value</th><th>unit</th><th>low (95 %)</th>"
            "<th>high (95 %)</th><th>± %</th><th>distribution</th><th>tier</th>"
            f"<th>citation</th><th>notes</th></tr>{factor_rows}</table>"
        )
        back = f"{request.url.path}?{urlencode(want)}"
        target = "|".join(want[k] for k in ESTIMATE_KEYS)
        body += review_section(db, cid, "estimate", target, user, token, back)
        title = f"{want['category']} {want['gas']}: {want['activity']} / {want['key']}"
        return _page(title, body, user)

    run = "/cases/{case_id:int}/runs/{run_id:int}"
    return [
        Route(f"{run}/inventory", screen(tree), methods=["GET"]),
        Route(f"{run}/estimate", screen(estimate), methods=["GET"]),
    ]
