"""The same data layer on PostgreSQL (Debian's package, started for the session by
``tests/workspace/postgres.py``; the tests skip where it is not installed): the migration,
the import/export round trip, stale edits, the append-only audit trail and sector rights."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.exc import DBAPIError
from tests.workspace.conftest import MINI, PASSWORD, TKM, case_files, first_row, login

from openmrv.workspace.api import create_app
from openmrv.workspace.casefiles import export_case, import_case
from openmrv.workspace.models import Base
from openmrv.workspace.security import add_user


def test_postgres_migration_builds_the_schema_of_the_models(pg_ws):
    assert pg_ws.engine.dialect.name == "postgresql"
    with pg_ws.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_postgres_export_after_import_is_the_same_case(pg_ws, tmp_path: Path):
    with pg_ws.sessions() as db:
        case_id = import_case(db, TKM, "test")
        db.commit()
        export_case(db, case_id, tmp_path / "out")
    want, got = case_files(TKM), case_files(tmp_path / "out")
    assert sorted(got) == sorted(want)
    assert [p for p in want if want[p] != got[p]] == []


def test_postgres_stale_edit_rights_and_append_only_audit(pg_ws):
    with pg_ws.sessions() as db:
        import_case(db, MINI, "test", "mini")
        add_user(db, "expert", "sector_expert", PASSWORD, ["1.A"])
        add_user(db, "compiler", "compiler", PASSWORD, [])
        db.commit()
    app = create_app(pg_ws)
    a, csrf_a = login(app, "expert")
    b, csrf_b = login(app, "compiler")
    row = first_row(a, "1.A")
    url = f"/api/cases/1/activity/{row['id']}"
    r = a.put(url, json={"value": "1500", "reason": "r1"},
              headers={"X-CSRF-Token": csrf_a, "If-Match": "1"})  # fmt: skip
    assert r.status_code == 200
    r = b.put(url, json={"value": "1700", "reason": "r2"},
              headers={"X-CSRF-Token": csrf_b, "If-Match": "1"})  # fmt: skip
    assert r.status_code == 409 and r.json()["current"]["value"] == "1500"
    other = first_row(a, "1.B")
    r = a.put(f"/api/cases/1/activity/{other['id']}", json={"value": "1", "reason": "r3"},
              headers={"X-CSRF-Token": csrf_a, "If-Match": "1"})  # fmt: skip
    assert r.status_code == 403
    for stmt in ("UPDATE audit SET reason = 'forged'", "DELETE FROM audit"):
        with pytest.raises(DBAPIError, match="append-only"), pg_ws.engine.begin() as conn:
            conn.execute(sa.text(stmt))
    trail = b.get("/api/audit", params={"table": "activity_rows"}).json()
    assert [t["reason"] for t in trail] == ["r1"]
