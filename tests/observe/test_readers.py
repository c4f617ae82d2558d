"""Readers on the real files and on synthetic files in the documented layouts."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from observe.synthetic import (
    BLENDED,
    PATCH,
    PATCH_NO_BOUNDS,
    SUPEROBS,
    TROPOMI_SUB,
    UOL,
    VARSUBSET,
    write_gosat_nies,
    write_tropomi_varsubset,
)
from openmrv.errors import (
    CorruptFileError,
    MissingVariableError,
    NotYetPublishedError,
    UnitError,
    UnknownProductError,
)
from openmrv.observe import apply_qa, ensure_valid_soundings, identify, read_soundings
from openmrv.observe.soundings import missing_variables


def test_uol_proxy_real_file():
    ds = ensure_valid_soundings(read_soundings(UOL))
    assert ds.sizes == {"sounding": 2276, "level": 20}
    assert ds.attrs["soundings_without_retrieval"] == 2  # 2278 in the file
    kept, dropped = apply_qa(ds)
    assert kept.sizes["sounding"] == 959  # the file's total_good_retrievals
    assert dropped["xch4_quality_flag != 0"] == 1317
    assert 1700 < kept.xch4.min() and kept.xch4.max() < 2000
    assert (kept.xch4_uncertainty > 0).all()
    np.testing.assert_allclose(kept.pressure_weight.sum("level"), 1.0, atol=1e-3)
    assert (kept.pressure_levels.isel(level=0) > kept.pressure_levels.isel(level=-1)).all()
    assert kept.pressure_levels.max() > 5e4  # Pa, surface first
    assert kept.product_version.values[0] == "v7.2"
    # the three good soundings on the Turkmenistan-Afghanistan border (SOURCES.md)
    near = kept.where((abs(kept.latitude - 35.91) < 0.1) & (abs(kept.longitude - 63.43) < 0.1))
    near = near.dropna("sounding", subset=["xch4"])
    assert near.sizes["sounding"] == 3
    assert 1790 < near.xch4.min() and near.xch4.max() < 1815


def test_uol_v9_file_name(tmp_path: Path):
    renamed = tmp_path / "UoL-GHG-L2-CH4-GOSAT-OCPR-20120102-fv9.0.nc"
    shutil.copy(UOL, renamed)
    assert identify(renamed).spec.name == "gosat_uol_proxy"


def test_renamed_file_found_by_attributes(tmp_path: Path):
    renamed = tmp_path / "some_gosat_file.nc"
    shutil.copy(UOL, renamed)
    assert read_soundings(renamed).sizes["sounding"] == 2276


def test_tropomi_sub_full_layout():
    ds = ensure_valid_soundings(read_soundings(TROPOMI_SUB))
    assert ds.sizes == {"sounding": 3, "corner": 4, "level": 12}
    # processor 01.02.02 ships no ECMWF winds in INPUT_DATA (they came with 02.xx)
    assert missing_variables(ds) == ["eastward_wind", "northward_wind"]
    assert ds.attrs["soundings_without_retrieval"] == 293 * 25 - 3
    assert ds.attrs["xch4_source"] == "PRODUCT/methane_mixing_ratio_bias_corrected"
    assert ds.product_version.values[0] == "1.2.2"
    # surface first: pressure decreases, prior falls off in the stratosphere
    assert (ds.pressure_levels.diff("level") < 0).all()
    assert (ds.ch4_profile_apriori.isel(level=0) > ds.ch4_profile_apriori.isel(level=-1)).all()
    assert 1700 < ds.ch4_profile_apriori.isel(level=0).min() < 2000
    np.testing.assert_allclose(ds.pressure_weight.sum("level"), 1.0, rtol=1e-6)
    kept, dropped = apply_qa(ds)
    assert dropped["qa_value < 0.5"] == 3 and kept.sizes["sounding"] == 0


def test_tropomi_varsubset_layout_reads_what_exists(tmp_path: Path):
    f = write_tropomi_varsubset(
        tmp_path / "S5P_OFFL_L2__CH4____20190319T110835_20190319T125006_07407_01_010202_"
        "20190325T125810_varsubset.nc4"
    )
    ds = ensure_valid_soundings(read_soundings(f))
    assert ds.sizes["sounding"] == 11
    assert {"qa_value", "xch4_uncertainty", "averaging_kernel"} <= set(missing_variables(ds))
    assert ds.attrs["xch4_source"] == "PRODUCT/methane_mixing_ratio"
    assert np.isnan(ds.qa_value).all()
    with pytest.raises(Exception, match="qa_value"):
        apply_qa(ds)


@pytest.mark.skipif(not VARSUBSET.exists(), reason="shared data not present")
def test_tropomi_varsubset_real_orbit():
    ds = read_soundings(VARSUBSET)
    assert ds.sizes["sounding"] == 52210  # valid pixels, SOURCES.md
    assert "qa_value" in missing_variables(ds)


def test_blended_orbit():
    ds = ensure_valid_soundings(read_soundings(BLENDED))
    assert ds.sizes == {"sounding": 1669, "corner": 4, "level": 12}
    assert ds.product_version.values[0] == "02.04.00"
    kept, dropped = apply_qa(ds)
    assert dropped == {
        "qa_value < 1": 0,
        "coastal pixel": 13,
        "some-water pixel with chi_square_SWIR > 20000": 4,
    }
    assert kept.sizes["sounding"] == 1652
    assert 1750 < kept.xch4.mean() < 1950
    assert (kept.xch4_uncertainty > 0).all()


def test_blended_superobservations():
    ds = ensure_valid_soundings(read_soundings(SUPEROBS))
    assert ds.sizes["sounding"] == 19
    assert identify(SUPEROBS).spec.name == "tropomi_gosat_blended_superobs"
    assert "xch4_uncertainty" in missing_variables(ds)
    assert (ds.observation_count > 0).all()  # area-weighted in IMI: fractional


def test_plume_patch_scene():
    ds = ensure_valid_soundings(read_soundings(PATCH))
    assert list(ds.attrs["scene_shape"]) == [32, 32]
    assert ds.sizes["sounding"] + ds.attrs["soundings_without_retrieval"] == 1024
    assert {"eastward_wind", "northward_wind"} <= set(ds.data_vars)
    assert ds.scene_row.max() == 31 and ds.scene_col.max() == 31
    assert str(ds.time.values[0])[:10] == "2021-01-03"
    other = read_soundings(PATCH_NO_BOUNDS)
    assert "latitude_bounds" in missing_variables(other)


def test_gosat_nies_synthetic(gosat_file: Path):
    ds = ensure_valid_soundings(read_soundings(gosat_file))
    assert ds.sizes["sounding"] == 6
    assert ds.product_version.values[0] == "V0295R12030800010"
    assert float(ds.surface_pressure[0]) == 100000.0
    _, dropped = apply_qa(ds)
    assert dropped == {"post-screening failed": 2}
    assert "averaging_kernel" not in ds


def test_gosat2_nies_synthetic(gosat2_file: Path):
    ds = ensure_valid_soundings(read_soundings(gosat2_file))
    assert ds.sizes == {"sounding": 5, "level": 15}
    assert float(ds.ch4_profile_apriori[0, 0]) == pytest.approx(1850.0)
    # 16 layer boundaries 1000..10 hPa -> 15 mid-points, surface first, in Pa
    bounds = np.linspace(1000, 10, 16) * 100
    np.testing.assert_allclose(ds.pressure_levels[0], (bounds[1:] + bounds[:-1]) / 2, rtol=1e-6)
    assert float(ds.averaging_kernel[0, 0]) == pytest.approx(1.1)
    assert float(ds.xco2[0]) == pytest.approx(412.0)
    kept, dropped = apply_qa(ds)
    assert kept.sizes["sounding"] == 3 and dropped == {"xch4_quality_flag != 0": 2}


def test_gosat2_top_first_grid_is_flipped(tmp_path: Path):
    from observe.synthetic import write_gosat2_nies

    f = write_gosat2_nies(
        tmp_path / "GOSAT2TFTS22020060100000000_02SWFPV0110010080.h5", top_first=True
    )
    ds = ensure_valid_soundings(read_soundings(f))
    assert float(ds.pressure_levels[0, 0]) > float(ds.pressure_levels[0, -1])
    assert float(ds.averaging_kernel[0, 0]) == pytest.approx(1.1)
    assert float(ds.ch4_profile_apriori[0, 0]) == pytest.approx(1850.0)


def test_gosat_gw_not_yet_published(tmp_path: Path):
    f = tmp_path / "GWT3W_L2_GHG_20250701.h5"
    f.write_bytes(b"\x89HDF\r\n\x1a\n")
    with pytest.raises(NotYetPublishedError, match="not yet"):
        read_soundings(f)


def test_unknown_product(tmp_path: Path):
    f = tmp_path / "random.txt"
    f.write_text("hello")
    with pytest.raises(UnknownProductError, match=r"random\.txt"):
        read_soundings(f)


def test_truncated_file(tmp_path: Path):
    f = tmp_path / BLENDED.name
    f.write_bytes(BLENDED.read_bytes()[:20000])
    with pytest.raises(CorruptFileError, match=BLENDED.name):
        read_soundings(f)


def test_missing_variable(tmp_path: Path):
    f = write_tropomi_varsubset(tmp_path / TROPOMI_SUB.name)
    import netCDF4

    with netCDF4.Dataset(f, "a") as ds:
        ds["PRODUCT"].renameVariable("methane_mixing_ratio", "something_else")
    with pytest.raises(MissingVariableError, match="methane_mixing_ratio"):
        read_soundings(f)


def test_unknown_unit(tmp_path: Path):
    f = write_gosat_nies(tmp_path / "GOSATTFTS20120101_02C02SV0295R1.h5", unit="furlongs")
    with pytest.raises(UnitError, match="furlongs"):
        read_soundings(f)


def test_ppm_unit_converted(tmp_path: Path):
    import h5py

    f = write_gosat_nies(tmp_path / "GOSATTFTS20120101_02C02SV0295R1.h5", unit="ppm")
    with h5py.File(f, "a") as h5:
        for name in ("XCH4", "XCH4Error"):
            h5["Data/mixingRatio"][name][...] = h5["Data/mixingRatio"][name][...] / 1000
    ds = read_soundings(f)
    assert 1800 < float(ds.xch4.mean()) < 1900
    assert float(ds.xch4_uncertainty[0]) == pytest.approx(12.0, rel=1e-5)


@pytest.mark.parametrize("name", ["UOL", "BLENDED", "SUPEROBS", "TROPOMI_SUB", "PATCH"])
def test_screening_while_reading_equals_screening_afterwards(name, tmp_path):
    from observe import synthetic as files

    path = getattr(files, name)
    after, dropped_after = apply_qa(read_soundings(path))
    during, dropped_during = apply_qa(read_soundings(path, qa=True))
    assert dropped_during == dropped_after
    assert during.sizes["sounding"] == after.sizes["sounding"]
    for var in ("xch4", "latitude", "longitude", "time"):
        np.testing.assert_array_equal(during[var].values, after[var].values)
    # a NIES GOSAT file (synthetic, the documented layout): the same
    g = files.write_gosat_nies(tmp_path / "GOSATTFTS20120101_02C02SV0295R12030800010.h5")
    a, da = apply_qa(read_soundings(g))
    b, db = apply_qa(read_soundings(g, qa=True))
    assert da == db and a.sizes == b.sizes
