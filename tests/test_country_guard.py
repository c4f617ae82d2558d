"""A case whose files disagree about the country stops before computing (issue 17, item 2):
the Turkmenistan example copied and set to ``country: UZB`` is refused with exit 2 and a
line per file; the example itself passes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from openmrv.case import load_case
from openmrv.cli import app
from openmrv.observe.region import country_names
from openmrv.stages.country import CountryMismatch, check_country, disagreements, name_claims

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "turkmenistan"


def _copy(tmp_path: Path, **changes) -> Path:
    case = tmp_path / "case"
    shutil.copytree(EXAMPLE, case)
    cfg = yaml.safe_load((case / "case.yaml").read_text())
    cfg.update(changes)
    (case / "case.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    return case


def test_the_example_agrees_with_itself():
    assert disagreements(load_case(EXAMPLE)) == []
    check_country(load_case(EXAMPLE))


def test_uzbekistan_from_turkmen_files_is_refused_with_exit_2(tmp_path):
    case = _copy(tmp_path, name="Uzbekistan", country="UZB")
    res = CliRunner().invoke(app, ["run", str(case), "--out", str(tmp_path / "run")])
    assert res.exit_code == 2, res.output
    text = " ".join(res.output.split())
    assert "country: UZB" in text
    for file, says in (
        ("facilities.csv", "column 'country' says TKM on 58 rows of 58"),
        ("facilities.csv", "43 of 58 sites lie outside UZB"),
        ("velayats_naturalearth_admin1.geojson", "property 'adm0_a3' says TKM"),
        ("EDGARv7.0_TKM_GHG_by_sector_AR4_AR5.csv", "case.yaml references.edgar_v7.country is TKM"),
        ("EDGARv7.0_TKM_GHG_by_sector_AR4_AR5.csv", "its file name names TKM"),
        ("climate_trace_20221201_TKM.csv", "column 'region' names TKM"),
        ("owid_cait2021_ghg_by_sector_Turkmenistan.csv", "column 'Country' names TKM"),
    ):
        assert f"{file}: {says}" in text
    assert not (tmp_path / "run").exists()  # nothing computed, nothing written


def test_a_reference_without_a_declared_country_is_refused(tmp_path):
    # the EDGAR extract has no country column; declared as a bare path it says nothing
    refs = yaml.safe_load((EXAMPLE / "case.yaml").read_text())["references"]
    refs["edgar_v7"] = refs["edgar_v7"]["file"]
    case = _copy(tmp_path, references=refs)
    with pytest.raises(CountryMismatch, match="declares no country") as err:
        check_country(load_case(case))
    assert "EDGARv7.0_TKM_GHG_by_sector_AR4_AR5.csv" in str(err.value)
    assert "edgar_v7: {file: ..., country: TKM}" in str(err.value)


def test_one_foreign_facility_row_is_named(tmp_path):
    case = _copy(tmp_path)
    path = case / "facilities.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace(",TKM,", ",KAZ,", 1)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    found = [d.says for d in disagreements(load_case(case))]
    assert found == ["column 'country' says KAZ on 1 rows of 58"]


def test_inversion_region_must_be_the_case_country(tmp_path):
    cfg = yaml.safe_load((EXAMPLE / "case.yaml").read_text())
    cfg["top_down"]["inversion"]["region"] = "UZB"
    case = _copy(tmp_path, top_down=cfg["top_down"])
    found = [d.says for d in disagreements(load_case(case))]
    assert found == ["top_down.inversion.region is UZB"]


def test_file_names_are_read_for_contradictions_only():
    names = country_names()
    assert name_claims(Path("EDGARv7.0_TKM_GHG_by_sector_AR4_AR5.csv"), names) == {"TKM"}
    assert name_claims(Path("owid_cait2021_ghg_by_sector_Uzbekistan.csv"), names) == {"UZB"}
    # neither GHG, CH4 nor lower-case words are country codes
    assert name_claims(Path("ESACCI-GHG-L2-CH4-GOSAT-OCPR-20120102-fv7.2.nc"), names) == set()
    assert name_claims(Path("c3s_xch4_obs4mips_merged_v4.3_20-55N_30-90E.nc"), names) == set()
