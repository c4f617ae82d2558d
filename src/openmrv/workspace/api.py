"""The workspace's JSON API (Starlette): the same rights for every client.

Unauthenticated requests get 401, forbidden ones 403, a missing ``If-Match`` 428, a stale one
409 (with the record as it is now), bad input 422 naming form, row and field. Every
state-changing request (anything but GET) carries the login's CSRF token as ``X-CSRF-Token``;
the login itself is a random token in an HttpOnly, SameSite=Strict cookie.
"""

from __future__ import annotations

import csv
import io
import json
import re
import secrets
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from openmrv import __version__
from openmrv.errors import InputError
from openmrv.workspace import activity, audit, casefiles, versions
from openmrv.workspace.api_edits import edit_routes, if_match
from openmrv.workspace.api_runs import run_routes
from openmrv.workspace.db import Workspace
from openmrv.workspace.errors import ConflictError, WorkspaceError
from openmrv.workspace.models import LoginSession
from openmrv.workspace.pages import page_routes
from openmrv.workspace.screens_edits import screen_routes as edit_screens
from openmrv.workspace.screens_inventory import screen_routes as inventory_screens
from openmrv.workspace.screens_review import screen_routes as review_screens
from openmrv.workspace.screens_run import screen_routes as run_screens
from openmrv.workspace.screens_tree import screen_routes as tree_screens
from openmrv.workspace.security import (
    COOKIE,
    LoginLimiter,
    authenticate,
    session_user,
    set_login_cookie,
    start_session,
)

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def _error(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status)


def _input_error(exc: InputError) -> JSONResponse:
    """422 naming the form (the case file), the row and the field, as the case reader does
    (a unit reader's ``file, line N`` split into form and row)."""
    form, row = exc.file, exc.row
    where = re.fullmatch(r"(.*), line (\d+)", form or "")
    if where is not None and row is None:
        form, row = where[1], int(where[2])
    return _error(422, exc.message, form=form, row=row, field=exc.field)


def _body(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise InputError("the request body is not JSON") from None
    if not isinstance(body, dict):
        raise InputError("the request body must be a JSON object")
    return body


def create_app(ws: Workspace, limiter: LoginLimiter | None = None) -> Starlette:
    """The API application over an open workspace."""
    limiter = limiter or LoginLimiter()

    def endpoint(fn: Callable, login: bool = True) -> Callable:
        """Wrap a handler ``fn(request, db, user, body)``: the login, CSRF token and errors."""

        def handle(request: Request, raw: bytes) -> Response:
            with ws.sessions() as db:
                user = None
                if login:
                    found = session_user(db, request.cookies.get(COOKIE))
                    if found is None:
                        return _error(401, "log in first (POST /api/login)")
                    user, sess = found
                    if request.method not in SAFE_METHODS and not secrets.compare_digest(
                        request.headers.get("x-csrf-token", ""), sess.csrf_token
                    ):
                        return _error(
                            403,
                            "missing or wrong X-CSRF-Token header; send the "
                            "csrf_token the login returned",
                        )
                try:
                    body = _body(raw) if request.method in ("POST", "PUT") else {}
                    return fn(request, db, user, body)
                except ConflictError as exc:
                    return _error(409, str(exc), current=exc.current)
                except WorkspaceError as exc:
                    return _error(exc.status, str(exc))
                except InputError as exc:
                    return _input_error(exc)

        async def wrapped(request: Request) -> Response:
            # the database and argon2 block: they run in the thread pool, not the event loop
            return await run_in_threadpool(handle, request, await request.body())

        return wrapped

    def health(request, db, user, body):
        db.execute(select(1))
        return JSONResponse(
            {"status": "ok", "version": __version__, "database": ws.engine.dialect.name}
        )

    def login(request, db, user, body):
        name, password = body.get("username"), body.get("password")
        if not isinstance(name, str) or not isinstance(password, str):
            raise InputError("give username and password as JSON strings", field="username")
        address = request.client.host if request.client else "unknown"
        found, wait = authenticate(db, limiter, name, password, address)
        if wait is not None:
            return JSONResponse(
                {"error": "too many login attempts; try again later"},
                status_code=429,
                headers={"Retry-After": str(max(1, int(wait + 1)))},
            )
        if found is None:
            return _error(401, "wrong user name or password")
        token, csrf = start_session(db, found)
        db.commit()
        resp = JSONResponse(
            {
                "username": found.name,
                "role": found.role,
                "sectors": found.sectors.split(),
                "csrf_token": csrf,
            }
        )
        set_login_cookie(resp, request, token)
        return resp

    def logout(request, db, user, body):
        found = session_user(db, request.cookies.get(COOKIE))
        if found is not None:
            db.delete(db.get(LoginSession, found[1].id))
            db.commit()
        resp = JSONResponse({"status": "logged out"})
        resp.delete_cookie(COOKIE, path="/")
        return resp

    def me(request, db, user, body):
        return JSONResponse(
            {"username": user.name, "role": user.role, "sectors": user.sectors.split()}
        )

    def cases(request, db, user, body):
        return JSONResponse(casefiles.list_cases(db))

    def rows(request, db, user, body):
        q = request.query_params
        got = activity.list_rows(
            db, request.path_params["case_id"], q.get("category"), q.get("form")
        )
        return JSONResponse(got)

    def row(request, db, user, body):
        p = request.path_params
        if request.method == "GET":
            r = activity.get_row(db, p["case_id"], p["row_id"])
            return JSONResponse(activity.row_dict(r), headers={"ETag": f'"{r.version}"'})
        changes = {k: v for k, v in body.items() if k != "reason"}
        got = activity.update_row(
            db, p["case_id"], p["row_id"], user, changes, if_match(request), body.get("reason")
        )
        return JSONResponse(got, headers={"ETag": f'"{got["version"]}"'})

    def approve(request, db, user, body):
        got = versions.approve(ws, db, request.path_params["case_id"], user, body.get("reason"))
        return JSONResponse(got, status_code=201)

    def version_list(request, db, user, body):
        return JSONResponse(versions.list_versions(db, request.path_params["case_id"]))

    def run_start(request, db, user, body):
        number, full = body.get("version"), body.get("full", False)
        if number is not None and (isinstance(number, bool) or not isinstance(number, int)):
            raise InputError("version must be an approved version number", field="version")
        if not isinstance(full, bool):
            raise InputError("full must be true or false", field="full")
        reason = body.get("reason") or "run started"
        run_id = versions.start_run(
            ws, request.path_params["case_id"], user, number, full, audit.require_reason(reason)
        )
        case_id = request.path_params["case_id"]
        return JSONResponse(
            {"id": run_id, "status": f"/api/cases/{case_id}/runs/{run_id}"}, status_code=202
        )

    def run_get(request, db, user, body):
        p = request.path_params
        return JSONResponse(versions.run_status(db, p["case_id"], p["run_id"]))

    def audit_rows(request, db, user, body):
        q = request.query_params
        try:
            limit = min(int(q.get("limit", "1000")), 100_000)
        except ValueError:
            raise InputError("limit must be a whole number", field="limit") from None
        got = audit.read(db, q.get("table"), q.get("key"), limit)
        if q.get("format") == "csv":
            buf = io.StringIO()
            writer = csv.DictWriter(buf, fieldnames=audit.AUDIT_FIELDS, lineterminator="\n")
            writer.writeheader()
            writer.writerows(got)
            return Response(
                buf.getvalue(),
                media_type="text/csv",
                headers={"Content-Disposition": "attachment; filename=audit.csv"},
            )
        return JSONResponse(got)

    c = "/api/cases/{case_id:int}"
    routes = [
        Route("/api/health", endpoint(health, login=False), methods=["GET"]),
        Route("/api/login", endpoint(login, login=False), methods=["POST"]),
        Route("/api/logout", endpoint(logout, login=False), methods=["POST"]),
        Route("/api/me", endpoint(me), methods=["GET"]),
        Route("/api/cases", endpoint(cases), methods=["GET"]),
        Route(f"{c}/activity", endpoint(rows), methods=["GET"]),
        Route(f"{c}/activity/{{row_id:int}}", endpoint(row), methods=["GET", "PUT"]),
        Route(f"{c}/approve", endpoint(approve), methods=["POST"]),
        Route(f"{c}/versions", endpoint(version_list), methods=["GET"]),
        Route(f"{c}/runs", endpoint(run_start), methods=["POST"]),
        Route(f"{c}/runs/{{run_id:int}}", endpoint(run_get), methods=["GET"]),
        Route("/api/audit", endpoint(audit_rows), methods=["GET"]),
        *edit_routes(endpoint),
        *run_routes(endpoint),
    ]
    screens = [
        *page_routes(ws, limiter),
        *inventory_screens(ws),
        *run_screens(ws),
        *review_screens(ws),
        *tree_screens(ws),
        *edit_screens(ws),
    ]
    return Starlette(routes=[*routes, *screens])
