"""The foldable inventory tree of a finished run: the same tree as the inventory screen (the
national total down through every IPCC category to each estimate, Gg CO2e with the run's GWP
set), drawn as nested HTML ``<details>`` elements that the browser folds and unfolds itself:
no script, nothing loaded from elsewhere. Sectors start unfolded, deeper categories folded."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.routing import Route

from openmrv import categories
from openmrv.errors import InputError
from openmrv.runfolder import spec as rf
from openmrv.workspace.db import Workspace
from openmrv.workspace.pages import _e, _page, make_screen
from openmrv.workspace.runfiles import done_run, fmt, read_csv, run_json
from openmrv.workspace.screens_inventory import ESTIMATE_KEYS, tree_rows

STYLE = (
    "<style>details{margin-left:1.2em}summary{cursor:pointer}"
    "span.v{display:inline-block;min-width:9em;text-align:right;margin-right:.6em}"
    "div.est{margin-left:2.4em}</style>"
)


def _gases(gases: dict[str, float]) -> str:
    return ", ".join(f"{_e(g)} {fmt(v)}" for g, v in sorted(gases.items()))


def foldable(rows: list[dict], base: str, system: str) -> str:
    """Nested ``<details>`` of :func:`tree_rows` (in their order: each node followed by its
    own estimates, then the nodes below it)."""
    out, depth = [], []  # depth: the levels of the <details> still open
    for r in rows:
        if r["kind"] == "node":
            while depth and depth[-1] >= r["level"]:
                out.append("</details>")
                depth.pop()
            title = categories.title(r["code"], system)
            opened = " open" if r["level"] <= 1 else ""
            out.append(
                f"<details{opened} data-code='{_e(r['code'])}'><summary>"
                f"<span class=v>{fmt(r['co2e'])}</span><b>{_e(r['code'])}</b> {_e(title)} "
                f"<small>({_gases(r['gases'])} Gg)</small></summary>"
            )
            depth.append(r["level"])
        else:
            q = urlencode({k: r[k] if k != "category" else r["code"] for k in ESTIMATE_KEYS})
            out.append(
                f"<div class=est data-category='{_e(r['code'])}'><span class=v>"
                f'{fmt(r["co2e"])}</span><a href="{base}/estimate?{_e(q)}">'
                f"{_e(r['activity'])} / {_e(r['key'])}</a> ({_e(r['gas'])})</div>"
            )
    out += ["</details>"] * len(depth)
    return "".join(out)


def screen_routes(ws: Workspace) -> list[Route]:
    """The foldable tree screen."""
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
        year, base = int(text), f"/cases/{cid}/runs/{rid}"
        rows = tree_rows(em, year, meta["gwp"], meta["category_system"])
        picks = " ".join(
            f'<a href="{base}/tree?year={y}">{y}</a>' if y != year else f"<b>{y}</b>" for y in years
        )
        body = (
            f"{STYLE}<p>run {rid} of case {cid}; year: {picks}; "
            f'<a href="{base}/inventory?year={year}">as a table</a></p>'
            f"<p>Gg CO2e with {_e(meta['gwp'])} (blank where the set has no GWP for a gas), "
            "each category's gases in Gg; click a category to fold or unfold it</p>"
            + foldable(rows, base, meta["category_system"])
        )
        return _page(f"Inventory tree {year}, run {rid}", body, user)

    return [Route("/cases/{case_id:int}/runs/{run_id:int}/tree", screen(tree), methods=["GET"])]
