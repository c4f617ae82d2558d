"""Case folders in and out of the workspace with the command line: export after import is
the same case byte for byte (the Turkmenistan case: every file compared); an edit changes
that one record and nothing else; users are added with the password from standard input;
the Alembic migration builds the schema the models describe."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from tests.workspace.conftest import TKM, case_files
from typer.testing import CliRunner

from openmrv.case import load_case, read_activity
from openmrv.cli import app
from openmrv.workspace.activity import list_rows, update_row
from openmrv.workspace.casefiles import export_case, split_records
from openmrv.workspace.db import open_workspace
from openmrv.workspace.models import Base, User


@pytest.fixture(scope="module")
def tkm_workspace(tmp_path_factory) -> Path:
    ws = tmp_path_factory.mktemp("tkm-ws")
    r = CliRunner().invoke(app, ["workspace", "import", str(TKM), "--workspace", str(ws)])
    assert r.exit_code == 0, r.output
    return ws


def test_export_after_import_is_the_same_case_file_for_file(tkm_workspace, tmp_path):
    out = tmp_path / "out"
    r = CliRunner().invoke(app, ["workspace", "export", "1", "--out", str(out),
                                 "--workspace", str(tkm_workspace)])  # fmt: skip
    assert r.exit_code == 0, r.output
    want, got = case_files(TKM), case_files(out)
    assert sorted(got) == sorted(want) and len(want) == 32
    assert [p for p in want if want[p] != got[p]] == []
    listing = CliRunner().invoke(app, ["workspace", "list", "--workspace", str(tkm_workspace)])
    n_rows = sum(  # the activity files' data rows, read independently
        len(pd.read_csv(f, comment="#")) for f in sorted((TKM / "activity").glob("*.csv"))
    )
    assert "turkmenistan" in listing.output and f"{n_rows} activity rows" in listing.output


def test_an_edit_changes_its_record_and_nothing_else(tkm_workspace, tmp_path):
    ws = open_workspace(tkm_workspace)
    with ws.sessions() as db:
        user = User(name="c", role="compiler", sectors="", password_hash="-", created_at="-")
        rows = list_rows(db, 1, form="activity/energy.csv")
        row = rows[1]  # its notes field is quoted (it holds commas)
        update_row(db, 1, row["id"], user, {"value": "0.2"}, row["version"], "test")
        export_case(db, 1, tmp_path / "out")
    ws.close()
    before = (TKM / "activity/energy.csv").read_text(encoding="utf-8")
    after = (tmp_path / "out/activity/energy.csv").read_text(encoding="utf-8")
    a, b = split_records(before), split_records(after)
    assert len(a) == len(b)
    changed = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x[0] != y[0]]
    assert changed == [row["row"] - 1]
    assert b[changed[0]][1] == [*a[changed[0]][1][:4], "0.2", *a[changed[0]][1][5:]]
    frame = read_activity(load_case(tmp_path / "out"))  # the export is a valid case
    assert (frame["value"] == 0.2).sum() == 1


def test_import_refuses_a_bad_case_with_its_file_line_and_field(mini_case, tmp_path):
    path = mini_case / "activity.csv"
    text = path.read_text().replace("1.A.1.a,fuel_consumption,natural_gas,2001,2000",
                                    "1.A.1.a,fuel_consumption,natural_gas,2001,-2000")  # fmt: skip
    path.write_text(text)
    r = CliRunner().invoke(app, ["workspace", "import", str(mini_case),
                                 "--workspace", str(tmp_path / "ws")])  # fmt: skip
    assert r.exit_code == 2
    assert "activity.csv, line 3, field 'value'" in r.output and "negative" in r.output


def test_users_add_reads_the_password_from_standard_input(tmp_path):
    args = ["users", "add", "aylar", "--role", "sector_expert", "--sector", "1.B",
            "--sector", "3.A", "--workspace", str(tmp_path)]  # fmt: skip
    r = CliRunner().invoke(app, args, input="a long passphrase\n")
    assert r.exit_code == 0, r.output
    ws = open_workspace(tmp_path)
    with ws.sessions() as db:
        (user,) = db.query(User).all()
    ws.close()
    assert (user.role, user.sectors) == ("sector_expert", "1.B 3.A")
    assert user.password_hash.startswith("$argon2id$")
    bare = ["users", "add", "berdi", "--role", "sector_expert", "--workspace", str(tmp_path)]
    r = CliRunner().invoke(app, bare, input="another long one\n")
    assert r.exit_code == 2 and "needs at least one --sector" in r.output


def test_the_migration_builds_the_schema_of_the_models(tmp_path):
    ws = open_workspace(tmp_path)
    with ws.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    ws.close()
    assert diff == []
