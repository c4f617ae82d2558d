"""The JSON API's routes for reviewer work (comments, QC check marks), adding, deleting and
restoring activity rows, and versioned edits of factor tables, notation keys and case
settings. Each handler runs inside the API's ``endpoint`` wrapper (login, CSRF token, errors
to 401/403/404/409/422/428) that :func:`openmrv.workspace.api.create_app` passes in."""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from openmrv.errors import InputError
from openmrv.workspace import activity, activity_rows, casetables, review


def if_match(request: Request) -> int | None:
    """The version in the ``If-Match`` header (``"3"``, ``3`` or ``W/"3"``), None if absent."""
    raw = request.headers.get("if-match")
    try:
        return None if raw is None else int(raw.strip().removeprefix("W/").strip('"'))
    except ValueError:
        raise InputError(f"If-Match '{raw}' is not a version number", field="If-Match") from None


def _etag(got: dict, status: int = 200) -> JSONResponse:
    return JSONResponse(got, status_code=status, headers={"ETag": f'"{got["version"]}"'})


def edit_routes(endpoint: Callable) -> list[Route]:
    """The routes, each wrapped by ``endpoint``."""

    def comments(request, db, user, body):
        cid, q = request.path_params["case_id"], request.query_params
        if request.method == "GET":
            return JSONResponse(review.list_comments(db, cid, q.get("kind"), q.get("target")))
        got = review.add_comment(db, cid, user, body.get("kind"), body.get("target"),
                                 body.get("body"))  # fmt: skip
        return _etag(got, 201)

    def comment(request, db, user, body):
        p = request.path_params
        changes = {k: v for k, v in body.items() if k != "reason"}
        got = review.update_comment(db, p["case_id"], p["comment_id"], user, changes,
                                    if_match(request), body.get("reason"))  # fmt: skip
        return _etag(got)

    def checks(request, db, user, body):
        cid, q = request.path_params["case_id"], request.query_params
        if request.method == "GET":
            marks = review.list_checks(db, cid, q.get("kind"), q.get("target"))
            procs = [{"id": i, "activity": a} for i, a in review.procedures()]
            return JSONResponse({"procedures": procs, "checks": marks})
        got = review.set_check(db, cid, user, body, if_match(request), body.get("reason"))
        return _etag(got)

    def add_row(request, db, user, body):
        fields = {k: v for k, v in body.items() if k not in ("form", "reason")}
        got = activity_rows.add_row(db, request.path_params["case_id"], user, body.get("form"),
                                    fields, body.get("reason"))  # fmt: skip
        return _etag(got, 201)

    def flag(fn: Callable) -> Callable:
        def handler(request, db, user, body):
            p = request.path_params
            got = fn(db, p["case_id"], p["row_id"], user, if_match(request), body.get("reason"))
            return _etag(got)

        return handler

    def deleted(request, db, user, body):
        cid = request.path_params["case_id"]
        return JSONResponse(activity.list_rows(db, cid, deleted=True))

    def table_list(request, db, user, body):
        return JSONResponse(casetables.tables(db, request.path_params["case_id"]))

    def table(request, db, user, body):
        cid, form = request.path_params["case_id"], request.path_params["form"]
        if request.method == "GET":
            return _etag(casetables.read_table(db, cid, form))
        return _etag(casetables.change_table(db, cid, user, form, body, if_match(request)))

    def settings(request, db, user, body):
        cid = request.path_params["case_id"]
        if request.method == "GET":
            return _etag(casetables.read_settings(db, cid))
        changes = {k: v for k, v in body.items() if k != "reason"}
        got = casetables.change_settings(db, cid, user, changes, if_match(request),
                                         body.get("reason"))  # fmt: skip
        return _etag(got)

    c = "/api/cases/{case_id:int}"
    row = f"{c}/activity/{{row_id:int}}"
    return [
        Route(f"{c}/comments", endpoint(comments), methods=["GET", "POST"]),
        Route(f"{c}/comments/{{comment_id:int}}", endpoint(comment), methods=["PUT"]),
        Route(f"{c}/qc", endpoint(checks), methods=["GET", "PUT"]),
        Route(f"{c}/activity", endpoint(add_row), methods=["POST"]),
        Route(f"{c}/activity/deleted", endpoint(deleted), methods=["GET"]),
        Route(f"{row}/delete", endpoint(flag(activity_rows.delete_row)), methods=["POST"]),
        Route(f"{row}/restore", endpoint(flag(activity_rows.restore_row)), methods=["POST"]),
        Route(f"{c}/tables", endpoint(table_list), methods=["GET"]),
        Route(f"{c}/tables/{{form:path}}", endpoint(table), methods=["GET", "POST"]),
        Route(f"{c}/settings", endpoint(settings), methods=["GET", "PUT"]),
    ]
