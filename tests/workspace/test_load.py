"""A short run of the workspace load test (``bench/workspace_load.py``): several users reading
and editing at once through ``openmrv serve``, with conflicts; no acknowledged edit is lost and
no request fails other than by a stale version (409)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from tests.workspace.conftest import MINI

BENCH = Path(__file__).parents[2] / "bench" / "workspace_load.py"
_spec = importlib.util.spec_from_file_location("workspace_load", BENCH)
workspace_load = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(workspace_load)


def test_concurrent_users_lose_no_edit():
    got = workspace_load.load(users=6, seconds=3, case=MINI)
    assert got["lost_edits"] == 0
    assert got["edits_acknowledged"] > 0
    bad = {k: v for k, v in got["statuses"].items() if not k.endswith((" 200", " 409"))}
    assert bad == {}
