"""The Turkmenistan case end to end (the README's demo), checked against calculations
made here directly from the case's CSV files and the factor tables."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from typer.testing import CliRunner

from openmrv.cli import app
from openmrv.dataformat import ensure_valid, read_interchange

ROOT = Path(__file__).parents[1]
CASE = ROOT / "examples" / "turkmenistan"
FACTORS = ROOT / "src" / "openmrv" / "factors" / "data"
CAT = "category (IPCC2006)"


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("tkm") / "run"
    home = tmp_path_factory.mktemp("home")
    mp = pytest.MonkeyPatch()
    mp.setenv("HOME", str(home))  # the manifest's signing key goes here, not to ~
    res = CliRunner().invoke(app, ["run", str(CASE), "--out", str(out)])
    mp.undo()
    assert res.exit_code == 0, res.output
    return out


@pytest.fixture(scope="module")
def ds(run_dir) -> xr.Dataset:
    with xr.open_dataset(run_dir / "inventory.nc", engine="netcdf4") as d:
        return ensure_valid(d.load())


def _val(ds, gas, code, year):
    return float(ds[gas].sel({CAT: code, "time": str(year)}).values.squeeze())


def test_outputs_written(run_dir):
    for name in (
        "inventory.nc",
        "inventory_primap2.csv",
        "inventory_primap2.yaml",
        "emissions.csv",
        "gap_filling.csv",
        "reference_approach.csv",
        "comparison.csv",
        "run.json",
        "emissions_by_sector.png",
    ):
        assert (run_dir / name).stat().st_size > 0, name
    back = read_interchange(run_dir / "inventory_primap2.yaml")
    assert "KYOTOGHG (AR5GWP100)" in back


def test_sectors_present(ds):
    codes = set(ds[CAT].values.tolist())
    for code in ("0", "1", "1.A", "1.B.2", "2", "3", "4"):
        assert code in codes


def test_gas_fugitive_ch4_by_hand(ds):
    """1.B.2.b CH4 in 2020 = sum over the EIT table's gas rows of activity x EF."""
    act = pd.read_csv(CASE / "activity" / "fugitive.csv")
    table = pd.read_csv(FACTORS / "ipcc2006_v2c4_t4.2.5_fugitive_oil_gas_eit.csv")
    expected = 0.0
    for r in act[(act.year == 2020) & act.category.str.startswith("1.B.2.b")].itertuples():
        assert r.unit == "1e9 m**3"
        under = (table.category == r.category) | table.category.str.startswith(r.category + ".")
        rows = table[(table.activity == r.activity) & (table.gas == "CH4") & under]
        if r.key != "*":
            rows = rows[rows.key == r.key]
        assert (rows.unit == "Gg CH4 / (1e6 m**3)").all()
        expected += r.value * 1000 * rows.value.sum()
    assert expected > 0
    assert _val(ds, "CH4", "1.B.2.b", 2020) == pytest.approx(expected, rel=1e-9)


def test_co2e_total_consistent(ds):
    gw = {"CO2": 1.0, "CH4": 28.0, "N2O": 265.0}  # AR5 WG1 Table 8.7
    total = sum(np.nan_to_num(ds[g].sel({CAT: "0"}).values) * w for g, w in gw.items())
    np.testing.assert_allclose(ds["KYOTOGHG (AR5GWP100)"].sel({CAT: "0"}).values, total)


def test_every_estimate_traces_to_a_factor_row(run_dir):
    rec = pd.read_csv(run_dir / "emissions.csv")
    assert len(rec) > 0
    lines = {}
    for path in [*FACTORS.glob("*.csv"), *(CASE / "factors").glob("*.csv")]:
        with path.open() as fh:
            lines[path.stem] = sum(1 for _ in fh)
    for ids in rec["factors"].unique():
        for fid in ids.split(";"):
            table, line = fid.rsplit(":", 1)
            assert table in lines and 2 <= int(line) <= lines[table], fid


def test_comparison_covers_three_references(run_dir):
    cmp_ = pd.read_csv(run_dir / "comparison.csv")
    assert set(cmp_["reference"]) == {"edgar_v7", "cait_2021", "climate_trace_2022"}
    tot = cmp_[(cmp_.reference == "edgar_v7") & (cmp_.sector == "Total") & (cmp_.year == 2020)]
    assert len(tot) == 1 and np.isfinite(tot["openmrv_Mt_CO2e"].iloc[0])


def test_case_files_have_sources():
    for path in (CASE / "activity").glob("*.csv"):
        with path.open() as fh:
            for row in csv.DictReader(fh):
                assert row["source"].strip(), f"{path.name}: row without source"


def test_uncertainty_and_key_categories(run_dir):
    s = pd.read_csv(run_dir / "uncertainty_approach2.csv").set_index(["category", "year"])
    total = s.loc[("0", 2020)]
    assert 5 < total["plus_pct"] < 100 and total["p2.5"] < total["mean"] < total["p97.5"]
    # the national total lies inside its own Monte Carlo interval
    with xr.open_dataset(run_dir / "inventory.nc", engine="netcdf4") as d:
        point = float(d["KYOTOGHG (AR5GWP100)"].sel({CAT: "0", "time": "2020"}).values.squeeze())
    assert total["p2.5"] < point < total["p97.5"]
    kc = pd.read_csv(run_dir / "key_categories.csv")
    fug = kc[(kc.category == "1.B.2.b.iii.2") & (kc.gas == "CH4")]
    assert bool(fug["key_category"].iloc[0])


def test_run_is_signed_and_tamper_evident(run_dir, tmp_path, monkeypatch):
    import shutil

    # the run's signer, trusted in a keyring of this test (the run may have been signed
    # under another test's HOME)
    monkeypatch.setenv("OPENMRV_KEYRING", str(tmp_path / "keyring.json"))
    trusted = CliRunner().invoke(app, ["keys", "trust", str(run_dir), "--name", "test"])
    assert trusted.exit_code == 0, trusted.output
    res = CliRunner().invoke(app, ["verify-manifest", str(run_dir)])
    assert res.exit_code == 0, res.output
    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy)
    path = copy / "emissions.csv"
    path.write_bytes(path.read_bytes().replace(b"1.B.2", b"1.B.3", 1))
    res = CliRunner().invoke(app, ["verify-manifest", str(copy)])
    assert res.exit_code == 1 and "emissions.csv" in res.output


def test_plume_evidence_against_the_inventory(run_dir):
    table = pd.read_csv(run_dir / "verification.csv")
    v = table.iloc[0]
    # SRON's 2021 TROPOMI detections in Turkmenistan (Schuit et al. 2023): oil and gas only
    assert v["evidence"].startswith("plume catalogue: SRON")
    assert 400 < v["plumes"] < 460
    assert v["top_down_kt"] > 0 and v["top_down_sigma_kt"] > 0
    # the sum's own Monte Carlo interval, asymmetric (the rate goes as 1 / valid-view share)
    low, high, value = v["top_down_low_kt"], v["top_down_high_kt"], v["top_down_kt"]
    assert 0 < low < value < high and high - value > value - low
    # a lower bound whose lower 95 % bound is below the inventory's upper 95 % bound: no
    # contradiction, never "consistent"
    assert low <= v["bottom_up_high_kt"]
    assert v["flag"] == "no contradiction (lower bound below the inventory)"
    assert "is not above the inventory's upper 95 % bound" in v["explanation"]
    sens = pd.read_csv(run_dir / "plume_annualisation_sensitivity.csv")
    share = sens[sens["assumption"].str.startswith("valid-view share")].iloc[0]
    assert share["result_low_kt"] > value > share["result_high_kt"]  # low share, high sum
    # openmrv's own detection is one scene: no annual figure
    own = table[table["evidence"] == "openmrv plume detections: TROPOMI"].iloc[0]
    assert own["flag"] == "insufficient coverage" and np.isnan(own["top_down_kt"])
    assert "one scene says nothing about a year" in own["explanation"]


def test_observations_stage_keeps_the_real_gosat_soundings(run_dir):
    # shared/data/SOURCES.md: on 2012-01-02 three good-flag GOSAT soundings at 35.91N
    # 63.43E (1795-1810 ppb), inside Turkmenistan in Natural Earth 1:110m
    summary = pd.read_csv(run_dir / "observations" / "summary.csv").set_index("what")["count"]
    assert summary["soundings kept"] == 3
    assert summary["soundings read"] == (
        summary["soundings kept"] + summary.filter(like="dropped:").sum()
    )
    with xr.open_dataset(run_dir / "observations" / "soundings.nc") as s:
        assert np.allclose(s["latitude"], 35.91, atol=0.02)
        assert np.allclose(s["longitude"], 63.43, atol=0.02)
        assert ((s["xch4"] > 1790) & (s["xch4"] < 1815)).all()
    assert (run_dir / "observations" / "soundings_map.png").stat().st_size > 10_000
    manifest = (run_dir / "manifest.json").read_text()
    assert "observations/soundings.nc" in manifest
    assert "ESACCI-GHG-L2-CH4-GOSAT-OCPR-20120102-fv7.2.nc" in manifest


def test_own_plume_detection_on_the_case_scene(run_dir):
    table = pd.read_csv(run_dir / "plumes.csv", keep_default_na=False, na_values=[""])
    own = table[table["source"] == "openmrv"]
    assert len(own) == 1 and bool(own["detected"].iloc[0])
    # the scene covers 38.1-41.4N 58.8-64.0E: the quantified plume lies inside it
    row = own.iloc[0]
    assert 38.0 < row["lat"] < 41.4 and 58.8 < row["lon"] < 64.0
    assert row["rate_t_per_h"] > 0 and row["rate_sigma_t_per_h"] > 0
    # third-party plumes are in the same table, kept apart by their source
    assert (table["source"].str.startswith("SRON")).sum() > 400
    assert (run_dir / "plumes" / f"quicklook_{Path(row['scene']).stem}.png").exists()
    assert "plumes.geojson" in (run_dir / "manifest.json").read_text()


def test_whole_pipeline_outputs_and_osse_labels(run_dir):
    # the README's main command writes these (issue 7)
    for name in ("crt.xlsx", "crt.json", "report.html", "manifest.json", "manifest.sig"):
        assert (run_dir / name).stat().st_size > 0, name
    totals = pd.read_csv(run_dir / "inversion" / "totals.csv")
    # the inversion's prior is the inventory: its national and 1.B.2 CH4 equal the dataset's
    with xr.open_dataset(run_dir / "inventory.nc", engine="netcdf4") as d:
        inv = {c: _val(d, "CH4", c, 2020) for c in ("0", "1.B.2")}
    by = totals.set_index("group")
    assert by.loc["TKM", "prior_kt"] == pytest.approx(inv["0"], rel=1e-6)
    assert by.loc["1.B.2", "prior_kt"] == pytest.approx(inv["1.B.2"], rel=1e-6)
    assert (totals["osse"] == 1).all()  # no real soundings for an inversion offline
    v = pd.read_csv(run_dir / "verification.csv")
    inv_rows = v[v["evidence"].str.startswith("inversion")]
    assert len(inv_rows) and inv_rows["osse"].all()
    assert inv_rows["explanation"].str.startswith("OSSE").all()
    assert "synthetic" in inv_rows["evidence"].iloc[0]
    # sectors the GOSAT-like sampling cannot see are flagged, not judged
    low = inv_rows[inv_rows["sensitivity"] < 0.5]
    assert (low["flag"] == "not comparable (sensitivity too low)").all() and len(low)
    html = (run_dir / "report.html").read_text()
    assert "OSSE" in html and "Inversion posterior" in html and "Satellite soundings" in html


def test_results_by_velayat(run_dir):
    """regions.csv: the inventory's 1.B.2 allocated over the five velayats sums to the
    national total of emissions.csv; the regional inversion sums to inversion/totals.csv;
    the OSSE keeps its label; most catalogue plumes are attributed (was 17 % of the mass
    with town-centroid coordinates)."""
    reg = pd.read_csv(run_dir / "regions.csv")
    assert set(reg["region"]) >= {"Ahal", "Balkan", "Dashoguz", "Lebap", "Mary"}
    em = pd.read_csv(run_dir / "emissions.csv")
    b2 = em[em.category.str.startswith("1.B.2.") & (em.gas == "CH4") & (em.year == 2020)]
    assert reg["inventory_1B2_kt"].sum() == pytest.approx(b2["value_Gg"].sum(), rel=1e-9)
    tot = pd.read_csv(run_dir / "inversion" / "totals.csv").set_index("group")
    assert reg["inversion_prior_kt"].sum() == pytest.approx(tot.loc["TKM", "prior_kt"], rel=1e-6)
    assert reg["inversion_posterior_kt"].sum() == pytest.approx(
        tot.loc["TKM", "posterior_kt"], rel=1e-6
    )
    assert set(reg["inversion_label"].dropna()) == {"OSSE, synthetic"}
    assert reg["plumes"].sum() == len(pd.read_csv(run_dir / "plumes_thirdparty.csv"))
    share = pd.read_csv(run_dir / "verification.csv")["attributed_share"].dropna().iloc[0]
    assert share > 0.4
    assert (run_dir / "regions_map.png").stat().st_size > 10_000
    assert (run_dir / "regions_posterior.png").stat().st_size > 10_000  # posterior by velayat
