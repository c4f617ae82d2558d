"""The form targets of the data-entry screen's row edits: adding, deleting and restoring
activity rows, and a factor or notation-key table's page with its edit, add and delete forms.
They call the JSON API's functions (:mod:`activity_rows`, :mod:`casetables`), so the rights,
the checks, the messages (form, row, field) and the audit rows are the API's; a refusal is
shown as the screens show every refusal, with its status."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from starlette.responses import RedirectResponse
from starlette.routing import Route

from openmrv.case import ACTIVITY_COLUMNS
from openmrv.errors import InputError
from openmrv.workspace import activity_rows, casefiles, casetables
from openmrv.workspace.db import Workspace
from openmrv.workspace.entry_forms import table_body
from openmrv.workspace.pages import _page, make_screen


def _number(form: dict[str, str], name: str) -> int | None:
    text = form.get(name, "").strip()
    return int(text) if text.isdigit() else None


def _entry(case_id: int, prefix: str, line: int, what: str) -> RedirectResponse:
    query = urlencode({"category": prefix or "1", what: line})
    return RedirectResponse(f"/cases/{case_id}/activity?{query}", status_code=303)


def screen_routes(ws: Workspace) -> list[Route]:
    """The routes of the row forms."""
    screen = make_screen(ws)

    def add(request, db, user, token, form):
        cid = request.path_params["case_id"]
        fields = {c: form.get(c, "") for c in ACTIVITY_COLUMNS}
        got = activity_rows.add_row(db, cid, user, form.get("form"), fields, form.get("reason"))
        return _entry(cid, form.get("back", ""), got["row"], "added")

    def flag(fn, what: str):
        def handler(request, db, user, token, form):
            p = request.path_params
            got = fn(db, p["case_id"], p["row_id"], user, _number(form, "version"),
                     form.get("reason"))  # fmt: skip
            return _entry(p["case_id"], form.get("category", ""), got["row"], what)

        return handler

    def table(request, db, user, token, form):
        cid, path = request.path_params["case_id"], request.path_params["form"]
        case = casefiles.get_case(db, cid)
        done = request.query_params.get("changed")
        note = f"<p class=ok>row {done} changed</p>" if done and done.isdigit() else ""
        return _page(f"{path} of {case.name}", note + table_body(db, cid, path, user, token), user)

    def change(request, db, user, token, form):
        cid, path = request.path_params["case_id"], request.path_params["form"]
        action = form.get("action")
        if action not in casetables.ACTIONS:
            raise InputError(f"action must be one of {', '.join(casetables.ACTIONS)}",
                             field="action")  # fmt: skip
        fields = {k[2:]: v for k, v in form.items() if k.startswith("f_")}
        body = {"action": action, "fields": {} if action == "delete" else fields,
                "reason": form.get("reason")}  # fmt: skip
        if action != "add":
            body["row"] = _number(form, "row")
        got = casetables.change_table(db, cid, user, path, body, _number(form, "version"))
        line = body.get("row") or max((r["row"] for r in got["rows"]), default=0)
        query = urlencode({"changed": line})
        return RedirectResponse(f"/cases/{cid}/tables/{quote(path)}?{query}", status_code=303)

    c = "/cases/{case_id:int}"
    row = f"{c}/activity/{{row_id:int}}"
    delete = screen(flag(activity_rows.delete_row, "deleted"))
    restore = screen(flag(activity_rows.restore_row, "restored"))
    return [
        Route(f"{c}/activity", screen(add), methods=["POST"]),
        Route(f"{row}/delete", delete, methods=["POST"]),
        Route(f"{row}/restore", restore, methods=["POST"]),
        Route(f"{c}/tables/{{form:path}}", screen(table), methods=["GET"]),
        Route(f"{c}/tables/{{form:path}}", screen(change), methods=["POST"]),
    ]
