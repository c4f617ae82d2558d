"""Adding, deleting and restoring activity rows: the same rights (a sector expert within their
sector prefixes), checks (the case reader's record check and duplicate rule) and audit rows as
an edit. A deleted row is not removed: it is flagged, left out of the case (its export, runs,
approved versions), kept in the audit trail with its values, and restorable."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openmrv.case import ACTIVITY_COLUMNS, check_activity_record
from openmrv.errors import InputError
from openmrv.workspace import audit
from openmrv.workspace.activity import (
    check_rights,
    field_text,
    get_row,
    no_duplicate,
    row_dict,
)
from openmrv.workspace.casefiles import BOM, get_case, split_records
from openmrv.workspace.errors import ConflictError, PreconditionRequiredError
from openmrv.workspace.models import ActivityRow, CaseFileRecord, User


def add_row(
    db: Session, case_id: int, user: User, form: Any, fields: dict[str, Any], reason: Any
) -> dict[str, Any]:
    """Add a row at the end of the activity file ``form``, checked, and commit it with its
    audit row. Every field of the activity file is required."""
    case = get_case(db, case_id)
    forms = db.scalars(select(CaseFileRecord).where(
        CaseFileRecord.case_id == case_id, CaseFileRecord.is_activity == 1)).all()  # fmt: skip
    f = next((x for x in forms if x.path == form), None)
    if f is None:
        names = ", ".join(x.path for x in forms)
        raise InputError(f"form '{form}' is not an activity file of this case; use one of "
                         f"{names}", field="form")  # fmt: skip
    missing = [c for c in ACTIVITY_COLUMNS if c not in fields]
    unknown = sorted(set(fields) - set(ACTIVITY_COLUMNS))
    if missing or unknown:
        raise InputError(
            f"give every field of the form ({', '.join(ACTIVITY_COLUMNS)}); "
            f"missing {', '.join(missing) or 'none'}, unknown {', '.join(unknown) or 'none'}",
            file=f.path,
            field=(missing or unknown)[0],
        )
    why = audit.require_reason(reason)
    records = split_records(f.content.decode("utf-8").removeprefix(BOM))
    last = db.scalar(select(func.max(ActivityRow.line)).where(
        ActivityRow.case_id == case_id, ActivityRow.file_path == f.path))  # fmt: skip
    line = max(len(records), last or 0) + 1
    new = {k: field_text(k, v) for k, v in fields.items()}
    checked = check_activity_record(new, case.category_system, f.path, line)
    new["category"] = checked["category"]
    row = ActivityRow(case_id=case_id, file_path=f.path, line=line, raw=None, deleted=0,
                      version=1, **{**new, "year": checked["year"]})  # fmt: skip
    check_rights(user, row, case.category_system)
    no_duplicate(db, row, checked)
    db.add(row)
    try:
        db.flush()
    except IntegrityError:  # another person added a row to this form at the same moment
        db.rollback()
        raise ConflictError(f"another row was added to {f.path} at the same time; "
                            "add yours again") from None  # fmt: skip
    key = f"{case.name}:{f.path}:{line}"
    audit.record(db, user.name, "add", "activity_rows", key, None, new, why)
    db.commit()
    return row_dict(row)


def _flag(db: Session, case_id: int, row_id: int, user: User, if_match: int | None,
          reason: Any, delete: bool) -> dict[str, Any]:  # fmt: skip
    case = get_case(db, case_id)
    row = get_row(db, case_id, row_id)
    check_rights(user, row, case.category_system)
    if if_match is None:
        raise PreconditionRequiredError("send the row's version as the If-Match header")
    why = audit.require_reason(reason)
    if bool(row.deleted) == delete:
        raise InputError(f"the row is {'already deleted' if delete else 'not deleted'}",
                         file=row.file_path, row=row.line)  # fmt: skip
    values = {c: str(getattr(row, c)) for c in ACTIVITY_COLUMNS}
    if not delete:  # the case reader's duplicate rule, against rows added meanwhile
        checked = check_activity_record(values, case.category_system, row.file_path, row.line)
        no_duplicate(db, row, checked)
    done = db.execute(
        update(ActivityRow)
        .where(ActivityRow.id == row.id, ActivityRow.version == if_match)
        .values(deleted=int(delete), version=ActivityRow.version + 1)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        db.rollback()
        raise ConflictError(
            f"row {row.line} of {row.file_path} is not at version {if_match}: someone "
            "changed it since you read it; see 'current'",
            current=row_dict(get_row(db, case_id, row_id)),
        )
    key = f"{case.name}:{row.file_path}:{row.line}"
    old, new = (values, None) if delete else (None, values)
    audit.record(db, user.name, "delete" if delete else "restore", "activity_rows", key,
                 old, new, why)  # fmt: skip
    db.commit()
    db.refresh(row)
    return row_dict(row)


def delete_row(db: Session, case_id: int, row_id: int, user: User, if_match: int | None,
               reason: Any) -> dict[str, Any]:  # fmt: skip
    """Delete a row (flag it; its values stay in the database and the audit trail)."""
    return _flag(db, case_id, row_id, user, if_match, reason, delete=True)


def restore_row(db: Session, case_id: int, row_id: int, user: User, if_match: int | None,
                reason: Any) -> dict[str, Any]:  # fmt: skip
    """Bring a deleted row back (refused if it now duplicates another row)."""
    return _flag(db, case_id, row_id, user, if_match, reason, delete=False)
