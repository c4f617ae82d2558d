"""Reading and changing activity rows: the same checks as the case files (file/line/field
become form/row/field), the rights of the user's role and sectors, optimistic concurrency
(``If-Match``: the version a change was made from) and an audit row for every change."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from openmrv.case import ACTIVITY_COLUMNS, check_activity_record
from openmrv.categories import check_code
from openmrv.errors import InputError
from openmrv.workspace import audit
from openmrv.workspace.casefiles import get_case
from openmrv.workspace.errors import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    PreconditionRequiredError,
)
from openmrv.workspace.models import ActivityRow, User
from openmrv.workspace.security import in_sectors

#: roles that may change activity data (a sector expert only within their sectors)
EDITORS = ("sector_expert", "compiler")


def row_dict(row: ActivityRow) -> dict[str, Any]:
    """An activity row as the API shows it: the form (its file), row (line), fields, version."""
    return {
        "id": row.id,
        "form": row.file_path,
        "row": row.line,
        **{c: getattr(row, c) for c in ACTIVITY_COLUMNS},
        "version": row.version,
        "edited": row.raw is None,
        "deleted": bool(row.deleted),
    }


def list_rows(
    db: Session,
    case_id: int,
    category: str | None = None,
    form: str | None = None,
    deleted: bool = False,
) -> list[dict[str, Any]]:
    """The activity rows of a case in file order (optionally of a category prefix or form);
    the deleted rows instead when ``deleted``."""
    get_case(db, case_id)
    q = select(ActivityRow).where(
        ActivityRow.case_id == case_id, ActivityRow.deleted == int(deleted)
    )
    if form is not None:
        q = q.where(ActivityRow.file_path == form)
    rows = db.scalars(q.order_by(ActivityRow.file_path, ActivityRow.line)).all()
    if category is not None:
        rows = [r for r in rows if in_sectors(r.category, category)]
    return [row_dict(r) for r in rows]


def get_row(db: Session, case_id: int, row_id: int) -> ActivityRow:
    """The activity row ``row_id`` of case ``case_id`` or NotFoundError."""
    row = db.get(ActivityRow, row_id)
    if row is None or row.case_id != case_id:
        raise NotFoundError(f"case {case_id} has no activity row with id {row_id}")
    return row


def may_edit(user: User, category: str) -> bool:
    """Whether ``user`` may change an activity row of IPCC ``category``."""
    if user.role == "compiler":
        return True
    return user.role == "sector_expert" and in_sectors(category, user.sectors)


def field_text(field: str, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InputError(
            f"{field} must be text or a number, not {type(value).__name__}", field=field
        )
    return value.strip() if isinstance(value, str) else repr(value)


def update_row(
    db: Session,
    case_id: int,
    row_id: int,
    user: User,
    changes: dict[str, Any],
    if_match: int | None,
    reason: Any,
) -> dict[str, Any]:
    """Change fields of an activity row, checked, and commit it with its audit row.

    Raises
    ------
    ForbiddenError
        When the user's role, or a sector expert's sectors, do not cover the row's category
        (before and after the change).
    PreconditionRequiredError
        When ``if_match`` (the version the change was made from) is missing.
    ConflictError
        When the row has changed since ``if_match``; the row as it is now comes with it and
        nothing is written.
    InputError
        For a missing reason, an unknown field, or a value the case reader would refuse
        (``file`` is the form, ``row`` the row, ``field`` the field).
    """
    case = get_case(db, case_id)
    row = get_row(db, case_id, row_id)
    check_rights(user, row, case.category_system)
    if if_match is None:
        raise PreconditionRequiredError(
            "send the version you edited as the If-Match header (the row's 'version')"
        )
    if row.deleted:
        raise InputError(
            "this row is deleted; restore it first (POST .../restore)",
            file=row.file_path,
            row=row.line,
        )
    unknown = sorted(set(changes) - set(ACTIVITY_COLUMNS))
    if unknown:
        raise InputError(
            f"unknown field(s) {', '.join(unknown)}; the fields are {', '.join(ACTIVITY_COLUMNS)}",
            field=unknown[0],
        )
    why = audit.require_reason(reason)
    old = {c: str(getattr(row, c)) for c in ACTIVITY_COLUMNS}
    new = {**old, **{k: field_text(k, v) for k, v in changes.items()}}
    checked = check_activity_record(new, case.category_system, row.file_path, row.line)
    new["category"] = checked["category"]
    if not may_edit(user, checked["category"]):
        raise ForbiddenError(
            f"category {checked['category']} is outside your sectors ({user.sectors})"
        )
    no_duplicate(db, row, checked)
    if row.version != if_match:
        db.rollback()
        raise ConflictError(
            f"row {row.line} of {row.file_path} is at version {row.version}, not {if_match}: "
            "someone changed it since you read it; see 'current' and edit again",
            current=row_dict(get_row(db, case_id, row_id)),
        )
    values = {**new, "year": checked["year"]}
    done = db.execute(
        update(ActivityRow)
        .where(ActivityRow.id == row.id, ActivityRow.version == if_match)
        .values(**values, raw=None, version=ActivityRow.version + 1)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:  # changed by another writer between the read and the update
        db.rollback()
        raise ConflictError(
            f"row {row.line} of {row.file_path} changed while your edit was checked; "
            "see 'current' and edit again",
            current=row_dict(get_row(db, case_id, row_id)),
        )
    key = f"{case.name}:{row.file_path}:{row.line}"
    audit.record(db, user.name, "edit", "activity_rows", key, old, new, why)
    db.commit()
    db.refresh(row)
    return row_dict(row)


def check_rights(user: User, row: ActivityRow, system: str) -> None:
    """ForbiddenError unless ``user`` may change activity data of ``row``'s category."""
    if user.role not in EDITORS:
        raise ForbiddenError(f"a {user.role} cannot change activity data")
    if not may_edit(user, check_code(row.category, system)):
        raise ForbiddenError(
            f"category {row.category} is outside your sectors ({user.sectors or 'none'})"
        )


def no_duplicate(db: Session, row: ActivityRow, checked: dict[str, Any]) -> None:
    """The case reader's duplicate rule: one row per category, activity, key and year."""
    others = db.scalars(
        select(ActivityRow).where(
            ActivityRow.case_id == row.case_id,
            ActivityRow.id != row.id if row.id is not None else ActivityRow.id.is_not(None),
            ActivityRow.deleted == 0,
            ActivityRow.activity == checked["activity"],
            ActivityRow.key == checked["key"],
            ActivityRow.year == checked["year"],
        )
    )
    for other in others:
        if other.category == checked["category"]:
            raise InputError(
                f"duplicates {other.file_path} row {other.line} (same category, activity, "
                "key and year); keep one row",
                file=row.file_path,
                row=row.line,
            )
