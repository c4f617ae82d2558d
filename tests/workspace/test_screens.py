"""The screens of a finished run: the inventory tree and an estimate's detail, the
verification view with its maps, key categories and uncertainty, and the recalculation table
between two runs. Every number checked is read independently from the run folder's files
(pandas/csv here, not the screens' code); every role reads, no login is sent to /login."""

from __future__ import annotations

import csv
import html
import re
import time
from pathlib import Path

import pandas as pd
import pytest
from starlette.testclient import TestClient
from tests.workspace.conftest import PASSWORD, TKM, USERS

from openmrv.workspace.api import create_app
from openmrv.workspace.db import open_workspace

#: AR5 100-year GWPs without climate-carbon feedbacks (IPCC AR5 WG1 Ch 8, Table 8.7), the
#: set the Turkmenistan case names (run.json "gwp": "AR5GWP100")
AR5 = {"CO2": 1.0, "CH4": 28.0, "N2O": 265.0}
FACTORS = Path(__file__).parents[2] / "src/openmrv/factors/data/ipcc2006_v2c1_t1.4_co2_ef.csv"


@pytest.fixture(scope="module")
def tkm(tkm_run):
    """An app over the session's Turkmenistan workspace, its run id and run folder."""
    folder, run_id = tkm_run
    ws = open_workspace(folder)
    yield create_app(ws), run_id, folder / "runs" / f"run{run_id}" / "run"
    ws.close()


def _login(app, name: str) -> TestClient:
    client = TestClient(app, follow_redirects=False)
    r = client.post("/login", data={"username": name, "password": PASSWORD})
    assert r.status_code == 303
    return client


def _text(page: str) -> str:
    """The page's text with tags dropped and entities decoded (for number look-ups)."""
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def _row(page: str, marker: str) -> list[str]:
    """The cells of the first table row containing ``marker``."""
    tr = re.search(rf"<tr(?:(?!</tr>).)*?{re.escape(marker)}.*?</tr>", page, re.S).group(0)
    return [
        html.unescape(re.sub(r"<[^>]+>", "", c)).strip()
        for c in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)
    ]


def _pages(run_id: int) -> list[str]:
    base = f"/cases/1/runs/{run_id}"
    est = "category=1.A.1.a&gas=CO2&activity=fuel_consumption&key=natural_gas"
    return [
        f"{base}/inventory",
        f"{base}/estimate?{est}",
        f"{base}/verification",
        f"{base}/uncertainty",
        f"{base}/files/regions_map.png",
    ]


def test_run_screens_need_a_login_and_every_role_reads_them(tkm):
    app, run_id, _ = tkm
    anonymous = TestClient(app, follow_redirects=False)
    for url in _pages(run_id):
        r = anonymous.get(url)
        assert r.status_code == 303 and r.headers["location"] == "/login", url
    for name in USERS:
        client = _login(app, name)
        for url in _pages(run_id):
            r = client.get(url)
            assert r.status_code == 200, (name, url)
            if not url.endswith(".png"):
                assert not re.search(r"""(src|href)=["']?(https?:)?//""", r.text), url
    run_page = _login(app, "viewer").get(f"/cases/1/runs/{run_id}").text
    for view in ("inventory", "verification", "uncertainty"):
        assert f'href="/cases/1/runs/{run_id}/{view}"' in run_page


def test_inventory_tree_adds_up_to_the_run_files(tkm):
    app, run_id, folder = tkm
    em = pd.read_csv(folder / "emissions.csv")
    assert pd.read_json(folder / "run.json", typ="series")["gwp"] == "AR5GWP100"
    year = int(em["year"].max())
    page = _login(app, "viewer").get(f"/cases/1/runs/{run_id}/inventory").text
    assert f"Inventory {year}" in page
    now = em[em["year"] == year]
    gases = sorted(now["gas"].unique())
    for code in ("0", "1", "1.A", "1.B.2", "3"):
        part = now if code == "0" else now[(now["category"] + ".").str.startswith(code + ".")]
        cells = _row(page, f"data-code='{code}'")
        for i, gas in enumerate(gases, start=1):
            want = part.loc[part["gas"] == gas, "value_Gg"].sum()
            shown = cells[i].replace(",", "")
            assert (shown == "" and want == 0) or float(shown) == pytest.approx(want, abs=6e-4)
        co2e = sum(v * AR5[g] for g, v in zip(part["gas"], part["value_Gg"], strict=True))
        assert float(cells[-1].replace(",", "")) == pytest.approx(co2e, abs=6e-4), code
    # each estimate of the year is a link to its detail
    assert page.count("/estimate?") == len(now.groupby(["category", "gas", "activity", "key"]))
    assert (
        _login(app, "viewer").get(f"/cases/1/runs/{run_id}/inventory?year=1800").status_code == 422
    )


def test_an_estimate_shows_its_activity_factor_rows_and_equation(tkm):
    app, run_id, folder = tkm
    em = pd.read_csv(folder / "emissions.csv")
    mine = em[
        (em["category"] == "1.A.1.a")
        & (em["gas"] == "CO2")
        & (em["activity"] == "fuel_consumption")
        & (em["key"] == "natural_gas")
    ]
    acts = pd.read_csv(folder / "activity.csv")
    acts = acts[
        (acts["category"] == "1.A.1.a")
        & (acts["gas"] == "CO2")
        & (acts["activity"] == "fuel_consumption")
        & (acts["key"] == "natural_gas")
    ]
    url = _pages(run_id)[1]
    page = _login(app, "reviewer").get(url).text
    assert html.escape(mine["equation"].iloc[0]) in page
    for r in mine.itertuples():
        cells = _row(page, f"<td>{r.year}</td>")
        act = acts.loc[acts["year"] == r.year, "value"].iloc[0]
        assert float(cells[1].replace(",", "")) == pytest.approx(act, abs=6e-4)
        assert float(cells[4].replace(",", "")) == pytest.approx(r.value_Gg, abs=6e-5)
        assert cells[5] == str(r.tier) and cells[6] == r.factors
    table, line = mine["factors"].iloc[-1].split(";")[0].split(":")
    assert table == "ipcc2006_v2c1_t1.4_co2_ef"
    with open(FACTORS, newline="") as fh:
        source = list(csv.DictReader(fh))[int(line) - 2]  # header is line 1
    cells = _row(page, f"id='{table}:{line}'")
    assert float(cells[3]) == float(source["value"]) and cells[4] == source["unit"]
    assert float(cells[5].replace(",", "")) == float(source["low"])
    assert float(cells[6].replace(",", "")) == float(source["high"])
    assert source["table"] in cells[10] and source["source"] in cells[10]
    # the workspace's activity rows behind it, one click from data entry
    assert 'href="/cases/1/activity?category=1.A.1.a"' in page
    assert re.search(r"activity/energy.csv row \d+", page)


def test_verification_view_shows_every_evidence_row_and_serves_the_maps(tkm):
    app, run_id, folder = tkm
    ver = pd.read_csv(folder / "verification.csv", keep_default_na=False, na_values=[""])
    head = pd.read_json(folder / "headline.json", typ="series")
    client = _login(app, "viewer")
    page = client.get(f"/cases/1/runs/{run_id}/verification").text
    assert html.escape(head["lines"][0]) in page
    assert f"({len(ver)} evidence rows)" in page
    text = _text(page)
    for r in ver.itertuples():
        assert r.evidence in text and r.flag in text and r.explanation in text
        if pd.notna(r.top_down_kt):
            assert f"{r.top_down_kt:,.1f}" in text and f"{r.bottom_up_kt:,.1f}" in text
    synthetic = page.split("Synthetic (OSSE) rows")[1]
    assert all(e in synthetic for e in ver.loc[ver["osse"], "evidence"].map(html.escape))
    maps = re.findall(r'<img src="([^"]+)"', page)
    assert f"/cases/1/runs/{run_id}/files/regions_map.png" in maps
    assert f"/cases/1/runs/{run_id}/files/plumes_map.png" in maps
    for src in maps:
        got = client.get(src)
        name = src.split("/files/")[1]
        assert got.status_code == 200 and got.content == (folder / name).read_bytes()
        assert got.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert TestClient(app, follow_redirects=False).get(maps[0]).status_code == 303


def test_key_categories_and_uncertainty_tables(tkm):
    app, run_id, folder = tkm
    keys = pd.read_csv(folder / "key_categories.csv")
    unc = pd.read_csv(folder / "uncertainty_approach2.csv")
    page = _login(app, "expert").get(f"/cases/1/runs/{run_id}/uncertainty").text
    assert f"Key categories ({int(keys['key_category'].sum())} of {len(keys)})" in page
    for r in keys.head(5).itertuples():
        cells = _row(page, f"<td>{r.category}</td><td>{r.gas}</td>")
        assert float(cells[3].replace(",", "")) == pytest.approx(r.latest_year_Gg_CO2e, abs=6e-4)
        assert cells[-2] == str(r.key_category)
    last = unc[(unc["category"] == "0")].iloc[-1] if unc["category"].dtype == object else None
    last = unc[unc["category"].astype(str) == "0"].iloc[-1] if last is None else last
    cells = _row(page, f"<td>0</td><td>{int(last['year'])}</td>")
    assert float(cells[2].replace(",", "")) == pytest.approx(last["mean"], abs=6e-4)
    assert float(cells[4].replace(",", "")) == pytest.approx(last["p2.5"], abs=6e-4)
    assert float(cells[5].replace(",", "")) == pytest.approx(last["p97.5"], abs=6e-4)


def _run(client, csrf: str) -> int:
    r = client.post("/cases/1/runs", data={"csrf_token": csrf})
    assert r.status_code == 303
    url = r.headers["location"]
    for _ in range(600):
        if "<b>done</b>" in client.get(url).text:
            return int(url.rsplit("/", 1)[1])
        time.sleep(0.1)
    raise AssertionError(client.get(url).text)


def test_comparing_two_runs_shows_the_recalculation_table(app, ws):
    client = _login(app, "compiler")
    csrf = re.search(r'name=csrf_token value="([^"]+)"', client.get("/cases/1").text).group(1)
    first = _run(client, csrf)
    row = client.get("/api/cases/1/activity", params={"category": "1.A"}).json()[0]
    api = TestClient(app)
    token = api.post("/api/login", json={"username": "compiler", "password": PASSWORD}).json()
    r = api.put(
        f"/api/cases/1/activity/{row['id']}",
        headers={"If-Match": str(row["version"]), "X-CSRF-Token": token["csrf_token"]},
        json={"value": "1250", "reason": "energy balance revised"},
    )
    assert r.status_code == 200, r.text
    second = _run(client, csrf)
    runs = ws.folder / "runs"
    a = pd.read_csv(runs / f"run{first}" / "run" / "emissions.csv")
    b = pd.read_csv(runs / f"run{second}" / "run" / "emissions.csv")
    key = ["category", "gas", "year"]
    m = a.groupby(key)["value_Gg"].sum().to_frame("a").join(b.groupby(key)["value_Gg"].sum())
    changed = m[(m["a"] - m["value_Gg"]).abs() > 1e-9]
    assert len(changed) >= 1
    for name in USERS:
        page = _login(app, name).get(f"/cases/1/compare?previous={first}&current={second}").text
        assert f"{len(changed)} estimates differ" in page
    for (cat, gas, year), r in changed.iterrows():
        cells = _row(page, f"<td>{cat}</td><td>{gas}</td><td>{year}</td>")
        assert float(cells[3].replace(",", "")) == pytest.approx(r["a"], abs=6e-5)
        assert float(cells[4].replace(",", "")) == pytest.approx(r["value_Gg"], abs=6e-5)
        diff = r["value_Gg"] - r["a"]
        assert float(cells[5].replace(",", "")) == pytest.approx(diff, abs=6e-5)
    assert "activity.csv" in _row(page, "changed")[0]
    assert client.get("/cases/1/compare?previous=x").status_code == 422
    assert client.get(f"/cases/1/compare?previous={first}&current=99").status_code == 404
    anon = TestClient(app, follow_redirects=False)
    assert anon.get(f"/cases/1/compare?previous={first}&current={second}").status_code == 303


def test_an_estimate_below_its_activity_rows_category_links_to_them(tkm):
    """1.B.2.b gas production is entered once and estimated in 1.B.2.b.iii.2 (and others):
    the detail names the rows as entered and links to their data-entry page."""
    app, run_id, _ = tkm
    with open(TKM / "activity" / "fugitive.csv", newline="") as fh:
        lines = [
            i + 2
            for i, r in enumerate(csv.DictReader(fh))
            if r["category"] == "1.B.2.b" and r["activity"] == "gas_production"
        ]
    query = "category=1.B.2.b.iii.2&gas=CH4&activity=gas_production&key=%2A"
    page = _login(app, "viewer").get(f"/cases/1/runs/{run_id}/estimate?{query}").text
    assert f"activity/fugitive.csv row {lines[0]} " in page
    assert 'href="/cases/1/activity?category=1.B.2.b"' in page
