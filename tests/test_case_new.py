"""``openmrv case new``: a draft case for a country from what openmrv packages, with a
TODO.md of what the compiler must still supply (issue 17, item 1)."""

from __future__ import annotations

import datetime as dt

import yaml
from typer.testing import CliRunner

from openmrv.cli import app
from openmrv.draft import annex_i, default_years
from openmrv.settings import parse_case_file


def test_a_draft_without_packaged_data_is_a_valid_case_that_asks_for_data(tmp_path):
    # Kyrgyzstan: openmrv packages no series for it (data/public holds KAZ, TKM, UZB)
    out = tmp_path / "kgz"
    res = CliRunner().invoke(app, ["case", "new", "kgz", "--out", str(out), "--years", "1992-2022"])
    assert res.exit_code == 0, res.output
    cfg = yaml.safe_load((out / "case.yaml").read_text())
    parse_case_file(cfg, file=out / "case.yaml")
    assert (cfg["name"], cfg["country"], cfg["years"]) == (
        "Kyrgyzstan",
        "KGZ",
        {"first": 1992, "last": 2022},
    )
    assert cfg["qualifiers"] == {"development": "developing"}  # not an Annex I Party
    todo = (out / "TODO.md").read_text()
    for item in ("FAOSTAT QCL livestock", "`coal_production`", "not an Annex I Party",
                 "{file: ..., country: KGZ}", "none for this country",
                 "packages no national activity data"):  # fmt: skip
        assert item in todo
    # openmrv refuses the draft until activity rows are added, naming the file
    run = CliRunner().invoke(app, ["run", str(out), "--out", str(tmp_path / "run")])
    assert run.exit_code == 2
    assert "activity.csv: has a header but no rows" in " ".join(run.output.split())


def test_turkmenistan_draft_lists_the_published_estimate(tmp_path):
    res = CliRunner().invoke(app, ["case", "new", "TKM", "--out", str(tmp_path / "t")])
    assert res.exit_code == 0, res.output
    assert "Chen 2023, TROPOMI: CH4 4.4 Tg / yr" in (tmp_path / "t" / "TODO.md").read_text()
    cfg = yaml.safe_load((tmp_path / "t" / "case.yaml").read_text())
    # default years: from 1990 to the last year every packaged series reaches (BP 2021: 2020)
    assert cfg["years"] == {"first": default_years()[0], "last": min(default_years()[1], 2020)}


def test_annex_i_parties_and_default_years():
    parties = annex_i()
    assert len(parties) == 43  # 42 countries and the EU
    assert {"RUS", "UKR", "BLR", "TUR", "EUU"} <= set(parties)
    assert not {"KAZ", "UZB", "TKM", "CHN"} & set(parties)
    assert default_years(dt.date(2026, 12, 5)) == (1990, 2024)


def test_bad_input_exits_2(tmp_path):
    r = CliRunner()
    assert r.invoke(app, ["case", "new", "XXX", "--out", str(tmp_path / "a")]).exit_code == 2
    assert r.invoke(app, ["case", "new", "UZB", "--out", str(tmp_path / "b"),
                          "--years", "1990"]).exit_code == 2  # fmt: skip
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "x").write_text("keep")
    res = r.invoke(app, ["case", "new", "UZB", "--out", str(tmp_path / "c")])
    assert res.exit_code == 2 and "not an empty folder" in res.output
    assert (tmp_path / "c" / "x").read_text() == "keep"
