"""Observation operator, super-observation error and region selection."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from observe.synthetic import BLENDED, TROPOMI_SUB, UOL
from openmrv.errors import InputError, ObservationError
from openmrv.observe import apply_qa, ensure_valid_soundings, read_soundings
from openmrv.observe.operator import apply_operator, column_pressure_weight, column_subcolumns
from openmrv.observe.region import (
    country_codes,
    parse_region,
    points_in_polygons,
    region_mask,
    select_region,
)
from openmrv.observe.superobs import load_parameters, superobs_error, superobservations


@pytest.fixture(scope="module")
def uol():
    return apply_qa(read_soundings(UOL))[0]


def _model(ds: xr.Dataset) -> xr.DataArray:
    rng = np.random.default_rng(0)
    shape = (ds.sizes["sounding"], ds.sizes["level"])
    return xr.DataArray(1900 + rng.normal(0, 30, shape), dims=("sounding", "level"))


def test_identity_kernel_gives_model_column(uol):
    model = _model(uol)
    ds = uol.assign(averaging_kernel=uol.averaging_kernel * 0 + 1)
    expected = (uol.pressure_weight * model).sum("level")
    np.testing.assert_allclose(apply_operator(ds, model), expected, rtol=1e-12)


def test_zero_kernel_gives_prior_column(uol):
    ds = uol.assign(averaging_kernel=uol.averaging_kernel * 0)
    expected = (uol.pressure_weight * uol.ch4_profile_apriori).sum("level")
    np.testing.assert_allclose(apply_operator(ds, _model(uol)), expected, rtol=1e-12)


def test_tropomi_layer_form_identity_and_zero():
    ds = read_soundings(TROPOMI_SUB)
    model = _model(ds)
    d = ds.dry_air_subcolumns
    one = apply_operator(ds.assign(averaging_kernel=ds.averaging_kernel * 0 + 1), model)
    np.testing.assert_allclose(one, (model * d).sum("level") / d.sum("level"), rtol=1e-10)
    zero = apply_operator(ds.assign(averaging_kernel=ds.averaging_kernel * 0), model)
    prior = (ds.ch4_profile_apriori * d).sum("level") / d.sum("level")
    np.testing.assert_allclose(zero, prior, rtol=1e-10)


def test_two_forms_agree():
    rng = np.random.default_rng(3)
    d = rng.uniform(1e3, 4e3, (5, 12))
    a = rng.uniform(0.5, 1.2, (5, 12))
    x = rng.uniform(1700, 2000, (5, 12))
    xa = rng.uniform(1700, 2000, (5, 12))
    h = d / d.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(
        column_pressure_weight(x, xa, a, h),
        column_subcolumns(x * d * 1e-9, xa * d * 1e-9, a, d),
        rtol=1e-12,
    )


def test_boundary_layer_sensitivity_by_hand(uol):
    from openmrv.observe.operator import boundary_layer_sensitivity

    # identity kernel: a perfect instrument sees the whole enhancement
    one = uol.assign(averaging_kernel=uol.averaging_kernel * 0 + 1)
    np.testing.assert_allclose(boundary_layer_sensitivity(one, 0.11), 1.0, rtol=1e-12)
    # by hand on the real UoL levels: pressure-weighted mean kernel over the levels whose
    # bottom lies within the lowest 11 % of the column (surface level always counted)
    s = boundary_layer_sensitivity(uol, 0.11).values
    w, a = uol.pressure_weight.values, uol.averaging_kernel.values
    for i in range(0, uol.sizes["sounding"], 97):
        below = np.concatenate([[0.0], np.cumsum(w[i])[:-1]])
        bl = below < 0.11
        assert s[i] == pytest.approx((w[i, bl] * a[i, bl]).sum() / w[i, bl].sum(), rel=1e-9)
    # GOSAT's SWIR kernel near the surface is around 1 (Parker et al. 2011)
    assert 0.6 < np.median(s) < 1.3
    with pytest.raises(ObservationError, match="depth_fraction"):
        boundary_layer_sensitivity(uol, 0.0)


def test_superobservations_average_extra_variables(uol):
    ds = uol.assign(tag=("sounding", np.arange(uol.sizes["sounding"], dtype=float)))
    sup = superobservations(ds, resolution=(2.0, 2.0), extra=("tag",))
    assert "tag" in sup
    # the mean tag of each super-observation, recomputed by hand for the first cell
    lat, lon = ds.latitude.values, ds.longitude.values
    i, j = np.floor((lat + 90) / 2.0), np.floor((lon + 180) / 2.0)
    day = ds.time.values.astype("datetime64[D]")
    first = (i == i.min()) & (j == j[i == i.min()].min())
    first &= day == day[first].min()
    la = sup.latitude.values
    k = int(
        np.argmin(np.abs(la - lat[first].mean()) + np.abs(sup.longitude.values - lon[first].mean()))
    )
    assert sup.tag.values[k] == pytest.approx(ds.tag.values[first].mean())


def test_operator_needs_kernel():
    ds = read_soundings(BLENDED).drop_vars("averaging_kernel")
    with pytest.raises(ObservationError, match="averaging_kernel"):
        apply_operator(ds, _model(ds))


def test_superobs_constants_from_cited_table():
    p = load_parameters()
    assert (p.r, p.sigma_t) == (0.55, 4.5)
    assert "10.5194/acp-23-5945-2023" in p.source


def test_superobs_error_formula():
    # P = 1: sqrt(sigma_o^2 + sigma_t^2); P -> inf: sqrt(r sigma_o^2 + sigma_t^2)
    assert superobs_error(10.0, 1) == pytest.approx(np.sqrt(100 + 4.5**2))
    assert superobs_error(10.0, 1e12) == pytest.approx(np.sqrt(55 + 4.5**2))
    by_hand = np.sqrt(15.0**2 * (0.45 / 4 + 0.55) + 4.5**2)
    assert superobs_error(15.0, 4) == pytest.approx(by_hand)
    assert np.all(np.diff(superobs_error(12.0, np.arange(1, 50))) < 0)


def test_superobservations_on_blended_orbit():
    kept, _ = apply_qa(read_soundings(BLENDED))
    sup = ensure_valid_soundings(superobservations(kept, resolution=(1.0, 1.0)))
    assert int(sup.observation_count.sum()) == kept.sizes["sounding"]
    assert sup.sizes["sounding"] < kept.sizes["sounding"]
    assert float(sup.xch4.min()) >= float(kept.xch4.min())
    worst = np.sqrt(float(kept.xch4_uncertainty.max()) ** 2 + 4.5**2)
    assert (sup.xch4_uncertainty > 4.5).all() and (sup.xch4_uncertainty <= worst).all()


def test_turkmenistan_border_soundings(uol):
    # SOURCES.md: 3 good soundings at 35.91N 63.43E are inside TKM at 1:110m
    tkm = select_region(uol, "TKM")
    assert tkm.sizes["sounding"] == 3
    assert select_region(uol, "tkm").sizes["sounding"] == 3
    box = select_region(uol, (52.0, 35.0, 67.0, 43.0))
    assert box.sizes["sounding"] >= 3


def test_point_in_polygon_with_hole():
    outer = np.array([[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]], float)
    hole = np.array([[4, 4], [6, 4], [6, 6], [4, 6], [4, 4]], float)
    lon = np.array([1.0, 5.0, 11.0, 9.9])
    lat = np.array([1.0, 5.0, 5.0, 9.9])
    assert points_in_polygons(lon, lat, [[outer, hole]]).tolist() == [True, False, False, True]


def test_polygon_file_and_errors(tmp_path: Path):
    f = tmp_path / "area.geojson"
    ring = [[50, 30], [70, 30], [70, 45], [50, 45], [50, 30]]
    f.write_text(json.dumps({"type": "Polygon", "coordinates": [ring]}))
    assert region_mask([60, 80], [40, 40], f).tolist() == [True, False]
    assert parse_region("52,35,67,43") == (52.0, 35.0, 67.0, 43.0)
    assert parse_region("x.geojson") == Path("x.geojson")
    with pytest.raises(InputError, match="XYZ"):
        region_mask([0], [0], "XYZ")
    with pytest.raises(InputError, match="bounding box"):
        region_mask([0], [0], (10.0, 0.0, 5.0, 1.0))
    assert {"TKM", "IRN", "FRA", "NOR"} <= set(country_codes())
