"""The JSON counterparts of the run screens: the runs, a run's state and views, its inventory
tree, verification rows and uncertainty, each checked against the run folder's files read
independently (pandas here), every role reading, no login refused."""

from __future__ import annotations

from html.parser import HTMLParser

import pandas as pd
import pytest
from starlette.testclient import TestClient
from tests.workspace.conftest import PASSWORD, USERS, login
from tests.workspace.test_screens import AR5

from openmrv.workspace.api import create_app
from openmrv.workspace.db import open_workspace


@pytest.fixture(scope="module")
def runs_app(tkm_run):
    folder, run_id = tkm_run
    ws = open_workspace(folder)
    yield create_app(ws), run_id, folder / "runs" / f"run{run_id}" / "run"
    ws.close()


def test_runs_and_their_views_as_json(runs_app):
    app, run_id, folder = runs_app
    anon = TestClient(app)
    for path in ("/api/runs", f"/api/runs/{run_id}", f"/api/runs/{run_id}/inventory"):
        assert anon.get(path).status_code == 401
    for name in USERS:
        client, _ = login(app, name)
        listing = client.get("/api/runs").json()
        assert [(r["id"], r["state"]) for r in listing] == [(run_id, "done")]
    run = client.get(f"/api/runs/{run_id}").json()
    assert run["state"] == "done" and "emissions.csv" in run["outputs"]
    assert sorted(run["views"]) == ["inventory", "uncertainty", "verification"]
    assert client.get("/api/runs/999").status_code == 404
    assert client.get("/api/runs?case=x").status_code == 422

    em = pd.read_csv(folder / "emissions.csv")
    tree = client.get(f"/api/runs/{run_id}/inventory", params={"year": 2015}).json()
    assert tree["year"] == 2015 and tree["gwp"] == "AR5GWP100"
    year = em[em["year"] == 2015]
    nodes = {r["code"]: r for r in tree["rows"] if r["kind"] == "node"}
    for sector in ("1", "2", "3", "4"):
        mine = year[year["category"].astype(str).str.match(rf"^{sector}(\.|$)")]
        want = mine.groupby("gas")["value_Gg"].sum()
        for gas, value in want.items():
            assert nodes[sector]["gases"][gas] == pytest.approx(value, rel=1e-9)
        co2e = sum(v * AR5[g] for g, v in want.items())
        assert nodes[sector]["co2e"] == pytest.approx(co2e, rel=1e-9)
    estimates = [r for r in tree["rows"] if r["kind"] == "estimate"]
    assert len(estimates) == len(year.groupby(["category", "gas", "activity", "key"]))
    assert client.get(f"/api/runs/{run_id}/inventory", params={"year": 1800}).status_code == 422

    ver = pd.read_csv(folder / "verification.csv")
    got = client.get(f"/api/runs/{run_id}/verification").json()
    assert len(got["rows"]) == len(ver) and got["headline"] is not None
    assert [r["evidence"] for r in got["rows"]] == list(ver["evidence"])
    keys = pd.read_csv(folder / "key_categories.csv")
    unc = client.get(f"/api/runs/{run_id}/uncertainty").json()
    assert len(unc["key_categories"]) == len(keys)
    assert sum(bool(r["key_category"]) for r in unc["key_categories"]) == int(
        keys["key_category"].astype(bool).sum()
    )


class _Nesting(HTMLParser):
    """The category codes of the <details> around each estimate, and each summary's text."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.around: dict[str, list[list[str]]] = {}
        self.summary: dict[str, str] = {}
        self._in: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "details":
            self.stack.append(a["data-code"])
        elif tag == "div" and "data-category" in a:
            self.around.setdefault(a["data-category"], []).append(list(self.stack))
        elif tag == "summary":
            self._in = self.stack[-1]
            self.summary[self._in] = ""

    def handle_endtag(self, tag):
        if tag == "details":
            self.stack.pop()
        elif tag == "summary":
            self._in = None

    def handle_data(self, data):
        if self._in is not None:
            self.summary[self._in] += data


def test_the_foldable_tree_nests_each_estimate_under_its_categories(runs_app):
    app, run_id, folder = runs_app
    client = TestClient(app)
    client.post("/login", data={"username": "viewer", "password": PASSWORD})
    page = client.get(f"/cases/1/runs/{run_id}/tree", params={"year": 2015}).text
    assert "<script" not in page and "http" not in page.split("</style>", 1)[1]
    tree = _Nesting()
    tree.feed(page)
    assert tree.stack == []  # every <details> closed
    # 1.A.1.a natural gas: inside 0 > 1 > 1.A > 1.A.1 > 1.A.1.a (each a folding level)
    assert ["0", "1", "1.A", "1.A.1", "1.A.1.a"] in tree.around["1.A.1.a"]
    em = pd.read_csv(folder / "emissions.csv")
    year = em[em["year"] == 2015]
    assert sum(len(v) for v in tree.around.values()) == len(
        year.groupby(["category", "gas", "activity", "key"])
    )
    energy = year[year["category"].astype(str).str.match(r"^1(\.|$)")]
    co2e = sum(v * AR5[g] for g, v in energy.groupby("gas")["value_Gg"].sum().items())
    shown = float(tree.summary["1"].split()[0].replace(",", ""))
    assert shown == pytest.approx(co2e, abs=6e-4)
    assert "<details open data-code='1'>" in page and "<details data-code='1.A.1'>" in page
