"""The JSON counterparts of the run screens, for other systems: the runs, one run's state and
outputs, its inventory tree of a year, its verification rows and headline, its key categories
and uncertainty. Each reads the same run-folder files as the screens (``runfiles``), every
logged-in role reads them; a run not finished answers 409, an unknown one 404."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import pandas as pd
from sqlalchemy import select
from starlette.responses import JSONResponse
from starlette.routing import Route

from openmrv.errors import InputError
from openmrv.runfolder import spec as rf
from openmrv.workspace import versions
from openmrv.workspace.errors import NotFoundError
from openmrv.workspace.models import RunRecord
from openmrv.workspace.runfiles import done_run, read_csv, run_json
from openmrv.workspace.screens_inventory import tree_rows

#: the JSON views of a finished run, by name: what the screen of the same name shows
VIEWS = ("inventory", "verification", "uncertainty")


def records(frame: pd.DataFrame | None) -> list[dict[str, Any]]:
    """The rows of ``frame`` as JSON objects (empty cells as null)."""
    return [] if frame is None else json.loads(frame.to_json(orient="records"))


def _number(value: float) -> float | None:
    return None if math.isnan(value) else value


def _run(db, run_id: int) -> RunRecord:
    run = db.get(RunRecord, run_id)
    if run is None:
        raise NotFoundError(f"no run with id {run_id}; GET /api/runs lists them")
    return run


def run_routes(endpoint: Callable) -> list[Route]:
    """The routes, each wrapped by the API's ``endpoint`` (login, errors)."""

    def runs(request, db, user, body):
        q = select(RunRecord).order_by(RunRecord.id)
        if request.query_params.get("case"):
            text = request.query_params["case"]
            if not text.isdigit():
                raise InputError("case must be a case id", field="case")
            q = q.where(RunRecord.case_id == int(text))
        fields = ("id", "case_id", "inventory_version_id", "started_by", "state",
                  "started_at", "finished_at")  # fmt: skip
        return JSONResponse([{f: getattr(r, f) for f in fields} for r in db.scalars(q)])

    def run(request, db, user, body):
        r = _run(db, request.path_params["run_id"])
        got = versions.run_status(db, r.case_id, r.id)
        got["views"] = {v: f"/api/runs/{r.id}/{v}" for v in VIEWS} if got["state"] == "done" else {}
        return JSONResponse(got)

    def inventory(request, db, user, body):
        r = _run(db, request.path_params["run_id"])
        folder = done_run(db, r.case_id, r.id)
        em = read_csv(folder, rf.EMISSIONS_CSV)
        meta = run_json(folder)
        years = sorted(int(y) for y in em["year"].unique())
        text = request.query_params.get("year") or str(years[-1])
        if not text.isdigit() or int(text) not in years:
            raise InputError(
                f"year {text} is not in this run ({years[0]}-{years[-1]})", field="year"
            )
        rows = tree_rows(em, int(text), meta["gwp"], meta["category_system"])
        for row in rows:
            row["co2e"] = _number(row["co2e"])
        return JSONResponse(
            {
                "run": r.id,
                "year": int(text),
                "years": years,
                "gwp": meta["gwp"],
                "unit": "Gg (gases), Gg CO2e (co2e)",
                "rows": rows,
            }
        )

    def verification(request, db, user, body):
        r = _run(db, request.path_params["run_id"])
        folder = done_run(db, r.case_id, r.id)
        head = folder / rf.HEADLINE_JSON
        return JSONResponse(
            {
                "run": r.id,
                "headline": json.loads(head.read_text()) if head.is_file() else None,
                "rows": records(read_csv(folder, rf.VERIFICATION_CSV)),
            }
        )

    def uncertainty(request, db, user, body):
        r = _run(db, request.path_params["run_id"])
        folder = done_run(db, r.case_id, r.id)
        return JSONResponse(
            {
                "run": r.id,
                "key_categories": records(read_csv(folder, rf.KEY_CATEGORIES_CSV)),
                "approach2": records(read_csv(folder, rf.UNCERTAINTY_APPROACH2_CSV)),
                "trend": records(read_csv(folder, rf.UNCERTAINTY_TREND_CSV, required=False)),
            }
        )

    run_id = "/api/runs/{run_id:int}"
    return [
        Route("/api/runs", endpoint(runs), methods=["GET"]),
        Route(run_id, endpoint(run), methods=["GET"]),
        Route(f"{run_id}/inventory", endpoint(inventory), methods=["GET"]),
        Route(f"{run_id}/verification", endpoint(verification), methods=["GET"]),
        Route(f"{run_id}/uncertainty", endpoint(uncertainty), methods=["GET"]),
    ]
