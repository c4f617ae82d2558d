"""The audit trail: one append-only row per change (who, when, table, record, old value, new
value, reason). Rows are written in the same transaction as the change they record, so a
change and its audit row are committed together or not at all."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from openmrv.errors import InputError
from openmrv.workspace.db import now
from openmrv.workspace.models import AuditRow

AUDIT_FIELDS = (
    "id",
    "at",
    "who",
    "action",
    "table_name",
    "record_key",
    "old_value",
    "new_value",
    "reason",
)


def require_reason(reason: Any) -> str:
    """The stripped reason text; an InputError when it is missing or blank."""
    if not isinstance(reason, str) or not reason.strip():
        raise InputError(
            "a reason is required for every change (it is kept in the audit trail)",
            field="reason",
        )
    return reason.strip()


def record(
    db: Session,
    who: str,
    action: str,
    table: str,
    key: str,
    old: Any,
    new: Any,
    reason: str,
) -> AuditRow:
    """Add an audit row to the session's transaction (the caller commits)."""
    row = AuditRow(
        at=now(),
        who=who,
        action=action,
        table_name=table,
        record_key=key,
        old_value=None if old is None else json.dumps(old, sort_keys=True),
        new_value=None if new is None else json.dumps(new, sort_keys=True),
        reason=require_reason(reason),
        version=1,
    )
    db.add(row)
    return row


def read(db: Session, table: str | None = None, key: str | None = None, limit: int = 1000):
    """Audit rows, newest first, as dicts (optionally of one table and record key)."""
    q = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
    if table is not None:
        q = q.where(AuditRow.table_name == table)
    if key is not None:
        q = q.where(AuditRow.record_key == key)
    return [{f: getattr(r, f) for f in AUDIT_FIELDS} for r in db.scalars(q)]
