"""The BTR-ready report: self-contained HTML with every figure, annex sections only when
their data exist, OSSE labels, a PDF and a screenshot that is not blank."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pandas as pd
import pytest

from openmrv.pipeline import run_inventory
from openmrv.report import btr

from .conftest import DATA


@pytest.fixture(scope="module")
def mini_run(tmp_path_factory):
    """The mini case's run folder (its write_reports made report.html)."""
    base = tmp_path_factory.mktemp("btr")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOME", str(base / "home"))
        mp.delenv("OPENMRV_SIGNING_KEY", raising=False)
        run_inventory(DATA / "mini_case", base / "run")
    return base / "run"


def _embedded(text: str) -> set[str]:
    return set(re.findall(r'data-file="([^"]+)" src="data:image/png;base64,', text))


def test_report_is_self_contained_with_every_figure(mini_run):
    text = (mini_run / "report.html").read_text()
    pngs = {p.name for p in mini_run.glob("*.png")}
    assert pngs and pngs <= _embedded(text)
    assert not re.search(r'(src|href)="(https?:)?//', text)
    assert "<script" not in text and "<link" not in text
    for section in ("Inventory summary", "Trends by sector", "Methods", "Data sources"):
        assert section in text
    # no satellite data in the mini run: no annex
    assert "Satellite annex" not in text and "OSSE" not in text


def _with_annex(mini_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(mini_run, run)
    pd.DataFrame(
        {
            "category": ["1.B.2"],
            "gas": ["CH4"],
            "evidence": ["inversion posterior"],
            "evidence_year": [2002],
            "inventory_year": [2002],
            "bottom_up_kt": [60.0],
            "bottom_up_low_kt": [30.0],
            "bottom_up_high_kt": [90.0],
            "top_down_kt": [95.0],
            "top_down_sigma_kt": [10.0],
            "z": [1.9],
            "flag": ["consistent"],
            "explanation": ["driven by field X"],
            "osse": [True],
        }
    ).to_csv(run / "verification.csv", index=False)
    (run / "inversion").mkdir()
    pd.DataFrame(
        {
            "group": ["1.B.2"],
            "gas": ["CH4"],
            "year": [2002],
            "prior_kt": [60.0],
            "prior_sigma_kt": [30.0],
            "posterior_kt": [95.0],
            "posterior_sigma_kt": [10.0],
            "dofs": [3.2],
            "osse": [1],
        }
    ).to_csv(run / "inversion" / "totals.csv", index=False)
    shutil.copy(run / "emissions_by_sector.png", run / "inversion" / "posterior_map.png")
    return run


def test_annex_sections_follow_the_run_folder(mini_run, tmp_path):
    run = _with_annex(mini_run, tmp_path)
    text = btr.render_html(run)
    assert "Satellite annex" in text and "Bottom-up against top-down" in text
    assert "OSSE — synthetic" in text and "driven by field X" in text
    assert {"verification.png", "posterior_map.png"} <= _embedded(text)
    assert "Methane plumes" not in text  # no plume table in this folder


def test_plume_annex_shows_detections_over_time_by_site(mini_run, tmp_path):
    run = _with_annex(mini_run, tmp_path)
    plumes = pd.DataFrame(
        {
            "time": pd.to_datetime(["2021-01-03", "2021-02-07", "2021-03-01", "2021-01-20"]),
            "lat": [38.1, 38.1, 38.2, 39.0],
            "lon": [62.1, 62.1, 62.2, 63.0],
            "rate_t_per_h": [20.0, 35.0, 12.0, 50.0],
            "rate_sigma_t_per_h": [7.0, 10.0, 5.0, 20.0],
            "method": ["IME"] * 4,
            "source": ["SRON (test)", "SRON (test)", "openmrv", "SRON (test)"],
            "facility_id": ["F1", "F1", "F1", ""],
            "scene": [""] * 4,
        }
    )
    plumes.to_csv(run / "plumes.csv", index=False)
    text = btr.render_html(run)
    assert "Methane plumes" in text
    assert {"plumes_map.png", "plumes_persistence.png"} <= _embedded(text)
    # nothing attributed to a facility: no timeline
    from openmrv.report import figures

    none = plumes.assign(facility_id="")
    assert figures.plume_persistence(none, tmp_path / "x.png") is None
    assert not (tmp_path / "x.png").exists()


def test_no_chromium_means_a_warning(mini_run, tmp_path, monkeypatch):
    run = tmp_path / "run"
    shutil.copytree(mini_run, run)
    (run / "report.pdf").unlink(missing_ok=True)
    monkeypatch.setattr(btr, "find_chromium", lambda: None)
    files, warnings = btr.write_btr(run)
    assert warnings and "chromium" in warnings[0]
    assert not (run / "report.pdf").exists() and run / "report.html" in files


@pytest.mark.skipif(btr.find_chromium() is None, reason="chromium is not installed")
def test_chromium_renders_a_page_that_is_not_blank(mini_run, tmp_path):
    from matplotlib.image import imread

    assert (mini_run / "report.pdf").read_bytes().startswith(b"%PDF")
    run = _with_annex(mini_run, tmp_path)
    (run / "report.html").write_text(btr.render_html(run))
    shot = tmp_path / "shot.png"
    btr.chromium(
        [f"--screenshot={shot}", "--window-size=1100,2400", (run / "report.html").as_uri()]
    )
    img = imread(shot)[..., :3]
    grey = img.mean(axis=2)
    assert grey.std() > 0.05  # a blank page has no variance
    non_white = float((grey < 0.95).mean())
    assert 0.03 < non_white < 0.9
    # colour from the embedded figures, not only black text on white
    assert float((np.ptp(img, axis=2) > 0.2).mean()) > 0.005
