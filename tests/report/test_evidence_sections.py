"""The report's evidence sections (openmrv.report.evidence_sections): the headline first,
published estimates with their citation, the satellite record with its detection limit,
results by region with the OSSE label, captions in words, sections numbered in order."""

from __future__ import annotations

import json
import re
import shutil

import pandas as pd
import pytest

from openmrv.pipeline import run_inventory
from openmrv.report import btr, evidence_sections
from openmrv.verify.headline import headline

from .conftest import DATA

PUB = "published estimate: Chen 2023, TROPOMI"
REC = "C3S XCH4 L3 OBS4MIPs merged v4.3: mass balance (Buchwitz 2017)"


@pytest.fixture(scope="module")
def mini_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("sections")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOME", str(base / "home"))
        mp.delenv("OPENMRV_SIGNING_KEY", raising=False)
        run_inventory(DATA / "mini_case", base / "run")
    return base / "run"


def _verification() -> pd.DataFrame:
    common = {"category": "0", "gas": "CH4", "explanation": "", "osse": False}
    return pd.DataFrame(
        [
            common
            | {"evidence": PUB, "evidence_year": 2019, "inventory_year": 2019,
               "bottom_up_kt": 1600.0, "bottom_up_low_kt": 800.0, "bottom_up_high_kt": 2400.0,
               "top_down_kt": 4400.0, "top_down_sigma_kt": 587.0, "top_down_low_kt": 2800.0,
               "top_down_high_kt": 5100.0, "z": 3.06, "flag": "inventory likely low",
               "inventory_basis": "inventory year 2019", "scope": "national, all sectors"},
            common
            | {"evidence": REC, "evidence_year": 2019, "inventory_year": 2019,
               "bottom_up_kt": 1600.0, "bottom_up_low_kt": 800.0, "bottom_up_high_kt": 2400.0,
               "top_down_kt": 9600.0, "top_down_sigma_kt": 9700.0, "top_down_low_kt": 0.0,
               "top_down_high_kt": 36000.0, "z": 1.3,
               "flag": "not comparable (sensitivity too low)", "detection_limit_kt": 10700.0},
        ]
    )  # fmt: skip


@pytest.fixture
def evidence_run(mini_run, tmp_path):
    from openmrv.verify.published import PUBLISHED_FILE, read_published

    run = tmp_path / "run"
    shutil.copytree(mini_run, run)
    ver = _verification()
    ver.to_csv(run / "verification.csv", index=False)
    h = headline(ver, "Testland", read_published(PUBLISHED_FILE))
    (run / "headline.json").write_text(json.dumps(h.to_dict()))
    pd.DataFrame(
        {"category": ["0"], "gas": ["CH4"], "year": [2019], "value_kt": [9600.0],
         "sigma_kt": [9700.0], "evidence": [REC], "kind": ["total"], "osse": [False],
         "low_kt": [-2300.0], "high_kt": [36000.0], "detectable": [False],
         "detection_limit_kt": [10700.0], "era": ["GOSAT"], "months": [12],
         "region": ["35-45N 50-65E"]}
    ).to_csv(run / "satellite_record.csv", index=False)  # fmt: skip
    pd.DataFrame(
        {"region": ["Ahal", "Mary"], "area_km2": [100.0, 85.0], "fields": [2, 3],
         "pipeline_km": [610.0, 1200.0], "inventory_year": [2020, 2020],
         "inventory_1B2_kt": [118.0, 502.0], "plumes": [44, 167], "plume_year": [2021, 2021],
         "plume_annual_kt": [138.0, 575.0], "inversion_1B2_posterior_kt": [151.0, 665.0],
         "inversion_label": ["OSSE, synthetic"] * 2}
    ).to_csv(run / "regions.csv", index=False)  # fmt: skip
    for name in ("satellite_record.png", "regions_map.png"):
        shutil.copy(run / "emissions_by_sector.png", run / name)
    return run


def test_headline_comes_first_and_sections_are_numbered(evidence_run):
    text = btr.render_html(evidence_run)
    heads = re.findall(r"<h2 id='([\w-]+)'>([^<]*)", text)
    assert heads[0][0] == "headline"
    assert "What the satellites say about the inventory of Testland" in text
    numbers = [int(t.split(".")[0]) for _, t in heads[1:]]
    assert numbers == list(range(1, len(heads)))  # 1, 2, 3, ... in order
    ids = [i for i, _ in heads]
    assert ids.index("published") < ids.index("record") < ids.index("regions")


def test_published_section_cites_its_source(evidence_run):
    part = evidence_sections.published(evidence_run)
    assert "Published satellite-based estimates" in part
    # 4400 kt = 4.4 Mt (2.8-5.1); inventory 1.6 (0.8-2.4)
    assert "4.4 (2.8–5.1)" in part and "1.6 (0.8–2.4)" in part
    assert "inventory likely low" in part and "+3.06" in part
    assert "doi:10.5194/acp-23-5945-2023" in part and "Chen et al. (2023)" in part


def test_record_section_states_its_detection_limit(evidence_run):
    part = evidence_sections.satellite_record(evidence_run)
    # 10700 kt = 10.7 Mt/yr
    assert "detection limit is 10.7–10.7 Mt CH4/yr" in part
    assert "detected in 0 of 1 years" in part
    assert "not comparable (sensitivity too low)" in part
    assert 'data-file="satellite_record.png"' in part
    assert '<figcaption class="note">The inventory&#x27;s national CH4' in part


def test_regions_section_keeps_the_osse_label(evidence_run):
    part = evidence_sections.regions(evidence_run)
    assert "Results by region" in part and "Mary" in part
    assert "OSSE — synthetic" in part
    assert "inversion 1.B.2 posterior [kt] (OSSE, synthetic)" in part
    assert "(2021: a different year from the inventory's 2020)" in part
    assert 'data-file="regions_map.png"' in part


def test_captions_are_words_not_file_names(tmp_path):
    from pathlib import Path

    assert "averaging kernel" in evidence_sections.caption(Path("sensitivity.png"))
    q = evidence_sections.caption(Path("quicklook_20210928_08-21-37_40.23_63.44_0354.png"))
    assert "2021-09-28" in q and "40.23° N 63.44° E" in q and "no annual figure" in q


def test_no_evidence_files_no_sections(mini_run):
    for f in (
        evidence_sections.headline,
        evidence_sections.published,
        evidence_sections.satellite_record,
        evidence_sections.regions,
    ):
        assert f(mini_run) == ""
