"""Plume detection and quantification on synthetic scenes of openmrv's forward model."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from openmrv.errors import InputError
from openmrv.estimate.plumes import csf_rate, detect_plume, ime_rate, ppb_to_kg_m2
from openmrv.estimate.plumes.gaussian import gaussian_plume_fit
from openmrv.estimate.plumes.scene import scene_neighbours
from openmrv.estimate.plumes.synthetic import gaussian_plume_scene
from openmrv.estimate.plumes.wind import external_wind, scene_wind
from openmrv.observe.scenes import scene_arrays
from openmrv.stages.plumes import detect_scenes, write_plume_outputs

AREA = 7000.0 * 5500.0
NOISE = 8.0


def _scene(q, u, deg, rng, noise=NOISE):
    d, x, y = gaussian_plume_scene(q, u, deg)
    return 1900 + d + rng.normal(0, noise, d.shape), x, y


def test_rate_recovered_within_uncertainty():
    rng = np.random.default_rng(3)
    q, u, deg = 10.0, 4.0, 30.0
    s, x, y = _scene(q, u, deg, rng)
    det = detect_plume(s, NOISE, source=(15, 15))
    assert det.detected
    wind = (np.cos(np.deg2rad(deg)), np.sin(np.deg2rad(deg)))
    for r in (ime_rate(s, det, AREA, u), csf_rate(s, det, x, y, AREA, u, wind)):
        assert abs(r.rate - q) <= 2 * r.sigma, r


def test_ime_sigma_covers_truth_about_68_percent():
    rng = np.random.default_rng(7)
    hits = n = 0
    for _ in range(150):
        q, u, deg = rng.uniform(5, 25), rng.uniform(2, 9), rng.uniform(0, 360)
        s, _, _ = _scene(q, u, deg, rng)
        det = detect_plume(s, NOISE, source=(15, 15))
        if not det.detected:
            continue
        r = ime_rate(
            s, det, AREA, u, rel_wind_error=0.0, scenes="synthetic"
        )  # wind known exactly here
        n += 1
        hits += abs(r.rate - q) <= r.sigma
    assert n > 120
    assert 0.55 <= hits / n <= 0.80, hits / n


def test_background_structure_widens_the_budget_where_the_background_is_not_flat():
    # the same plumes on a flat background and on one rising 1 ppb per pixel along the
    # plume (known truth): the structure term is about zero on the flat one; on the
    # gradient it is several ppb and the stated IME 1-sigma then covers the truth (biased
    # by the gradient) where the median's standard error alone would not
    rng = np.random.default_rng(11)
    cols = np.broadcast_to(np.arange(32.0), (32, 32))
    flat, slope, hits, hits_se_only = [], [], 0, 0
    for _ in range(20):
        q = 15.0
        s, _, _ = _scene(q, 4.0, 0.0, rng)  # plume blowing east from (15, 15)
        flat.append(detect_plume(s, NOISE, source=(15, 15)).background_structure)
        g = s + 1.0 * (cols - 15.5)
        det = detect_plume(g, NOISE, source=(15, 15))
        slope.append(det.background_structure)
        r = ime_rate(g, det, AREA, 4.0, rel_wind_error=0.0, scenes="synthetic")
        hits += abs(r.rate - q) <= r.sigma
        det.background_structure = 0.0
        r0 = ime_rate(g, det, AREA, 4.0, rel_wind_error=0.0, scenes="synthetic")
        hits_se_only += abs(r0.rate - q) <= r0.sigma
    assert np.median(flat) < 0.5
    assert min(slope) > 2.5
    # since issue 18 the mask is grown on z-scores against a plane through the background,
    # so the gradient biases the rate less and the median's s.e. alone covers more often;
    # the structure term still widens the budget and its 1-sigma covers the truth
    assert hits >= 14 and hits >= hits_se_only, (hits, hits_se_only)


def test_ime_mass_conservation():
    d, _, _ = gaussian_plume_scene(10.0, 5.0, 0.0, source_rc=(15.5, 2.5))
    s = 1900 + d
    det = detect_plume(s, 1.0, source=(15, 3))
    det.mask = d > 0  # the whole plume; no noise, so the background is exact
    det.background = 1900.0
    r = ime_rate(s, det, AREA, 5.0)
    injected = float(np.sum(ppb_to_kg_m2(d) * AREA))
    assert r.details["ime_kg"] == pytest.approx(injected, rel=1e-9)


def test_pure_noise_false_alarm_rate():
    rng = np.random.default_rng(11)
    alpha, n = 0.05, 300
    hits = sum(
        detect_plume(rng.normal(1900, NOISE, (32, 32)), NOISE, alpha=alpha).detected
        for _ in range(n)
    )
    assert hits / n <= alpha + 2 * np.sqrt(alpha * (1 - alpha) / n)


def test_all_nan_scene_is_an_input_error():
    with pytest.raises(InputError, match="no valid pixel"):
        detect_plume(np.full((32, 32), np.nan), NOISE)


def test_zero_wind_is_an_input_error():
    rng = np.random.default_rng(5)
    s, _, _ = _scene(10.0, 4.0, 0.0, rng)
    det = detect_plume(s, NOISE, source=(15, 15))
    with pytest.raises(InputError, match="positive wind"):
        ime_rate(s, det, AREA, 0.0)


def test_source_at_edge_is_flagged():
    rng = np.random.default_rng(9)
    d, _, _ = gaussian_plume_scene(15.0, 4.0, 180.0, source_rc=(15.0, 31.0))
    s = 1900 + d + rng.normal(0, NOISE, d.shape)
    det = detect_plume(s, NOISE, source=(15, 31))
    assert det.detected
    assert any("edge" in f for f in det.flags)
    r = ime_rate(s, det, AREA, 4.0)
    assert any("edge" in f for f in r.flags)


def test_source_outside_scene_is_an_input_error():
    rng = np.random.default_rng(1)
    with pytest.raises(InputError, match="outside"):
        s, _, _ = _scene(20.0, 4.0, 0.0, rng)
        detect_plume(s, NOISE, source=(40, 3))


# --- Gaussian plume fit, CSF coverage, winds, outputs, CLI --------------------------------


def _fit(q, u, deg, rng, noise=NOISE):
    s, x, y = _scene(q, u, deg, rng, noise)
    det = detect_plume(s, noise, source=(15, 15))
    wind = (u * np.cos(np.deg2rad(deg)), u * np.sin(np.deg2rad(deg)))
    return s, x, y, det, wind


def test_gaussian_fit_recovers_rate_within_uncertainty():
    rng = np.random.default_rng(21)
    q, u, deg = 12.0, 5.0, 120.0
    s, x, y, det, wind = _fit(q, u, deg, rng)
    r = gaussian_plume_fit(s, det, x, y, wind, rel_wind_error=0.0, pixel_size=np.sqrt(AREA))
    assert r.method == "Gaussian"
    assert abs(r.rate - q) <= 2 * r.sigma, r
    assert r.sigma < 0.5 * q  # an informative estimate, not a wide net
    assert abs((r.details["direction_deg"] - deg + 180) % 360 - 180) < 20
    assert set(r.budget) == {"fit", "wind", "stability", "background"}
    assert r.budget["background"] > 0  # B fixed at the scene background: its error counts
    free = gaussian_plume_fit(s, det, x, y, wind, 0.0, pixel_size=np.sqrt(AREA), background="fit")
    assert free.budget["background"] == 0 and abs(free.rate - q) <= 2 * free.sigma
    assert "not validated on real scenes" in " ".join(r.flags)  # 6.2 km pixels


@pytest.mark.parametrize(
    ("method", "n_scenes", "lo", "hi"),
    # Measured over 119 realisations (seed 99, docs/plumes.md): coverage IME 0.80, CSF
    # 0.90 (both budgets conservative on these scenes), Gaussian 0.68. Tolerances here:
    # the measured value +- about 2 binomial sd of the smaller test sample.
    [("IME", 60, 0.62, 0.95), ("CSF", 60, 0.72, 1.0), ("Gaussian", 30, 0.42, 0.85)],
)
def test_sigma_covers_truth_about_68_percent(method, n_scenes, lo, hi):
    rng = np.random.default_rng(17)
    hits = n = 0
    for _ in range(n_scenes):
        q, u, deg = rng.uniform(5, 25), rng.uniform(2, 9), rng.uniform(0, 360)
        s, x, y, det, wind = _fit(q, u, deg, rng)
        if not det.detected:
            continue
        if method == "IME":
            r = ime_rate(s, det, AREA, u, rel_wind_error=0.0, scenes="synthetic")
        elif method == "CSF":
            r = csf_rate(s, det, x, y, AREA, u, wind, rel_wind_error=0.0)
        else:
            r = gaussian_plume_fit(s, det, x, y, wind, 0.0, pixel_size=np.sqrt(AREA))
        n += 1
        hits += abs(r.rate - q) <= r.sigma
    assert n >= 0.8 * n_scenes
    assert lo <= hits / n <= hi, (method, hits / n)


def test_gaussian_fit_zero_wind_and_no_detection_are_input_errors():
    rng = np.random.default_rng(4)
    s, x, y, det, _ = _fit(10.0, 4.0, 0.0, rng)
    with pytest.raises(InputError, match="positive wind"):
        gaussian_plume_fit(s, det, x, y, (0.0, 0.0))
    noise = rng.normal(1900, NOISE, (32, 32))
    d0 = detect_plume(noise, NOISE)
    assert not d0.detected
    with pytest.raises(InputError, match="no plume detected"):
        gaussian_plume_fit(noise, d0, x, y, (3.0, 0.0))


def test_winds_outside_the_methods_validity_are_flagged():
    # the same detected plume quantified at winds inside and outside the U_eff calibration
    # range (data/ueff.csv) and above/below the Gaussian plume's calm threshold
    # (data/parameters.csv): flagged where outside, not where inside
    from openmrv.estimate.plumes.parameters import parameter
    from openmrv.estimate.plumes.quantify import ueff_coefficients

    rng = np.random.default_rng(5)
    s, x, y, det, _ = _fit(15.0, 4.0, 30.0, rng)
    c = ueff_coefficients("TROPOMI")
    for u, outside in ((c["u10_min"] - 0.5, True), (4.0, False), (c["u10_max"] + 1, True)):
        r = ime_rate(s, det, AREA, u, rel_wind_error=0.0)
        assert any("calibration range" in f for f in r.flags) == outside, u
    calm = parameter("gaussian_min_wind")
    for u, below in ((0.5 * calm, True), (4.0, False)):
        e = np.array([np.cos(np.deg2rad(30.0)), np.sin(np.deg2rad(30.0))])
        r = gaussian_plume_fit(s, det, x, y, tuple(u * e), 0.0, pixel_size=np.sqrt(AREA))
        assert any("calm threshold" in f for f in r.flags) == below, u


def test_wind_sources():
    xr = pytest.importorskip("xarray")
    w = external_wind((3.0, -4.0), "2021-01-03T08:00", 25.9, 70.9)
    assert (w.u, w.v, w.speed) == (3.0, -4.0, 5.0)
    t = pd.date_range("2021-01-03", periods=2, freq="6h")
    lat, lon = np.array([25.0, 26.0]), np.array([70.0, 71.0])
    u = np.zeros((2, 2, 2))
    u[1] = 4.0  # u grows linearly from 0 (00 UTC) to 4 m/s (06 UTC)
    ds = xr.Dataset(
        {
            "u": (("time", "latitude", "longitude"), u),
            "v": (("time", "latitude", "longitude"), np.ones((2, 2, 2))),
        },
        coords={"time": t, "latitude": lat, "longitude": lon},
    )
    w = external_wind(ds, "2021-01-03T03:00", 25.5, 70.5)
    assert w.u == pytest.approx(2.0) and w.v == pytest.approx(1.0)
    assert w.origin == "winds dataset"
    with pytest.raises(InputError, match="outside the winds dataset"):
        external_wind(ds, "2021-01-03T03:00", 30.0, 70.5)
    with pytest.raises(InputError, match="outside the winds dataset"):
        external_wind(ds, "2021-01-04T03:00", 25.5, 70.5)
    with pytest.raises(InputError, match="missing"):
        external_wind(ds[["u"]], "2021-01-03T03:00", 25.5, 70.5)
    m = np.zeros((3, 3), bool)
    m[1, 1] = True
    uu = np.arange(9.0).reshape(3, 3)
    sw = scene_wind(uu, np.ones((3, 3)), m)
    assert (sw.u, sw.v, sw.origin) == (4.0, 1.0, "scene u10/v10")  # the mask pixel's wind
    with pytest.raises(InputError, match="no 10 m wind"):
        scene_wind(np.full((3, 3), np.nan), np.full((3, 3), np.nan), m)


PATCHES = Path(__file__).parent / "data" / "observe"
PATCH_FILES = sorted(PATCHES.glob("2021*.npz"))


def test_detect_scenes_api_and_outputs(tmp_path: Path):
    fac = pd.DataFrame({"facility_id": ["COAL1"], "lat": [25.91], "lon": [70.95]})
    # known sources: the SRON catalogue positions of the two patches (catalogue.csv)
    src = {PATCH_FILES[0].name: (25.91, 70.95), PATCH_FILES[1].name: (24.83, 90.31)}
    table, figs = detect_scenes(PATCH_FILES, facilities=fac, out=tmp_path, sources=src)
    assert len(table) == len(PATCH_FILES)
    assert set(table["source"]) == {"openmrv"}
    det = table[table["detected"]]
    assert len(det) >= 1 and len(figs) == len(det)
    assert all(f.exists() and f.stat().st_size > 1000 for f in figs)
    # IME and CSF against the catalogue (23 +- 8 and 14 +- 5 t/h): within 2 sigma of it
    cat = np.array([23.0, 14.0])
    for m in ("ime", "csf"):
        col = det[f"rate_{m}_t_per_h"].to_numpy()
        assert np.all(np.abs(col - cat) <= 2 * np.array([8.0, 5.0])), (m, col)
        assert (det[f"rate_{m}_sigma_t_per_h"] > 0).all()
    assert np.isfinite(det["rate_gaussian_sigma_t_per_h"]).all()
    # the Coal patch's source (SRON catalogue 25.91N 70.95E) is attributed to the facility
    coal = table[table["scene"].str.startswith("20210103")].iloc[0]
    assert coal["facility_id"] == "COAL1"
    paths = write_plume_outputs(table, tmp_path)
    assert [p.name for p in paths] == ["plumes.csv", "plumes.geojson", "plumes_by_facility.csv"]
    gj = json.loads((tmp_path / "plumes.geojson").read_text())
    assert len(gj["features"]) == len(det)
    per = pd.read_csv(tmp_path / "plumes_by_facility.csv")
    assert "COAL1" in set(per["facility_id"])
    # pixel size and wind for the attribution radius; the Gaussian rate flagged on 7 km pixels
    assert det["pixel_km"].between(4.0, 8.0).all() and (det["wind_speed_m_s"] > 0).all()
    assert det["flags"].str.contains("not validated on real scenes").all()
    # a neighbouring known source placed on the Coal plume's mask: the budget widens,
    # the rate (over the whole mask) stays the same
    d0 = table.set_index("scene").loc[PATCH_FILES[0].name]
    nb = {PATCH_FILES[0].name: [(d0["lat"] + 0.06, d0["lon"] + 0.06)]}
    t2, _ = detect_scenes(PATCH_FILES[:1], sources=src, neighbours=nb)
    r2 = t2.iloc[0]
    assert r2["rate_ime_t_per_h"] == pytest.approx(d0["rate_ime_t_per_h"])
    assert r2["rate_ime_sigma_t_per_h"] > d0["rate_ime_sigma_t_per_h"]
    assert "neighbours term" in r2["flags"]
    # the same known source given through a facility register: the same budget; the
    # register's facility at the detected source itself is not a neighbour of it
    reg = pd.DataFrame(
        {
            "facility_id": ["SELF", "NEAR", "FAR"],
            "lat": [d0["lat"], d0["lat"] + 0.06, d0["lat"] + 5.0],
            "lon": [d0["lon"], d0["lon"] + 0.06, d0["lon"]],
        }
    )
    sc0 = scene_arrays(PATCH_FILES[0])
    assert scene_neighbours(sc0, reg) == [
        (d0["lat"], d0["lon"]),
        (d0["lat"] + 0.06, d0["lon"] + 0.06),
    ]
    t3, _ = detect_scenes(PATCH_FILES[:1], sources=src, neighbours=reg)
    assert t3.iloc[0]["rate_ime_sigma_t_per_h"] == pytest.approx(r2["rate_ime_sigma_t_per_h"])
    t4, _ = detect_scenes(PATCH_FILES[:1], sources=src, neighbours=reg.iloc[[0, 2]])
    assert t4.iloc[0]["rate_ime_sigma_t_per_h"] == pytest.approx(d0["rate_ime_sigma_t_per_h"])
    assert "neighbours term" not in t4.iloc[0]["flags"]
    with pytest.raises(InputError, match="lat and lon"):
        scene_neighbours(sc0, reg.drop(columns="lon"))


def test_plumes_cli(tmp_path: Path):
    from typer.testing import CliRunner

    from openmrv.cli import app

    case = tmp_path / "case"
    shutil.copytree(Path(__file__).parent / "data" / "mini_case", case)
    (case / "facilities.csv").write_text(
        "facility_id,name,type,category,lat,lon,country,operator,start_year,capacity,"
        "capacity_unit,source,notes\n"
        "P1,Plant,coal_mine,1.B.1,25.91,70.95,IND,,1990,,,synthetic,\n"
    )
    out = tmp_path / "out"
    res = CliRunner().invoke(
        app, ["plumes", *map(str, PATCH_FILES), "--case", str(case), "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    # the patches lie in India, the mini case is Turkmenistan's: each plume is named
    assert "lies outside TKM" in res.output
    t = pd.read_csv(out / "plumes.csv")
    assert len(t) == len(PATCH_FILES)
    assert {"rate_t_per_h", "rate_sigma_t_per_h", "facility_id", "method"} <= set(t.columns)
    assert (out / "plumes.geojson").exists()
    # --neighbours: the case's other facilities inside a scene widen the budget there
    # (the second patch: on the first, searched without a known source, no enhancement
    # stands out of its spatially correlated background since issue 18)
    with (case / "facilities.csv").open("a") as f:
        # two pixels from the plume's source pixel (2, 24), on its mask
        f.write("P2,Plant 2,coal_mine,1.B.1,24.0029,90.5906,BGD,,1990,,,synthetic,\n")
    out2 = tmp_path / "out2"
    res = CliRunner().invoke(
        app,
        ["plumes", str(PATCH_FILES[1]), "--case", str(case), "--out", str(out2), "--neighbours"],
    )
    assert res.exit_code == 0, res.output
    t2 = pd.read_csv(out2 / "plumes.csv")
    before = t.set_index("scene").loc[PATCH_FILES[1].name]
    assert "neighbours term" in t2["flags"].iloc[0]
    assert t2["rate_ime_sigma_t_per_h"].iloc[0] > before["rate_ime_sigma_t_per_h"]
    res = CliRunner().invoke(
        app, ["plumes", str(PATCH_FILES[0]), "--out", str(out2), "--neighbours"]
    )
    assert res.exit_code == 2 and "--case" in res.output
    # a real L2 orbit subset (3 valid pixels): searched, no candidate, said so
    l2 = sorted(PATCHES.glob("S5P_OFFL_L2__CH4*.nc4"))[0]
    res = CliRunner().invoke(app, ["plumes", str(l2), "--out", str(out)])
    assert res.exit_code == 0, res.output
    t = pd.read_csv(out / "plumes.csv")
    assert len(t) == 1 and not t["detected"].any()
    assert "no plume candidate" in t["flags"].iloc[0]
    # blended files have no pixel grid: not a scene
    blended = sorted(PATCHES.glob("S5P_BLND_L2__CH4*_03_020400_20230614T001047.nc"))[0]
    res = CliRunner().invoke(app, ["plumes", str(blended), "--out", str(out)])
    assert res.exit_code == 2
    assert "not a 2-D scene" in res.output
    bad = tmp_path / "nope.npz"
    bad.write_bytes(b"not a zip")
    res = CliRunner().invoke(app, ["plumes", str(bad), "--out", str(out)])
    assert res.exit_code == 2
    assert "error" in res.output


def test_external_wind_matches_the_era5_reader():
    # a real ERA5 file read by openmrv.observe.winds: our interpolation at Matimba
    # (23.67 S, 27.61 E) agrees with the reader's own winds_at (independent code)
    from openmrv.observe.winds import read_era5_winds, winds_at

    ds = read_era5_winds(Path(__file__).parent / "data" / "observe" / "Matimba_ERA5-sl-20210725.nc")
    t = np.datetime64("2021-07-25T10:40")
    w = external_wind(ds, t, -23.67, 27.61)
    u, v = winds_at(ds, np.array([27.61]), np.array([-23.67]), np.array([t]))
    assert w.u == pytest.approx(float(u[0]), rel=1e-9)
    assert w.v == pytest.approx(float(v[0]), rel=1e-9)


def test_plumes_outside_the_case_country_are_named():
    """A plume outside the case's country is listed with its distance to the border: one
    inside is not; one 0.5° north of the northernmost border vertex lies at most
    0.5° x 111.2 km from the border (known geometry)."""
    from openmrv.observe.region import country_polygons
    from openmrv.stages.plumes import outside_country

    border = np.concatenate([r[0] for r in country_polygons("TKM")])
    top = border[np.argmax(border[:, 1])]
    table = pd.DataFrame(
        {
            "scene": ["inside", "north", "india", "none"],
            "lat": [38.5, top[1] + 0.5, 25.91, np.nan],
            "lon": [58.5, top[0], 70.95, np.nan],
            "detected": [True, True, True, False],
        }
    )
    out = outside_country(table, "TKM")
    assert list(out["scene"]) == ["north", "india"]
    north, india = out["distance_km"]
    assert 0 < north <= 0.5 * 111.2 + 0.1
    assert india > 1000
