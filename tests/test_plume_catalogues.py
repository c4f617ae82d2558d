"""Third-party plume catalogues (UNEP IMEO MARS, Carbon Mapper, SRON) into the plume
table, layout detection, and the attribution radius from pixel size and wind.

The catalogue files here are SYNTHETIC, written by the tests in the documented layouts:
UNEP IMEO MARS "detected plumes" download (methanedata.unep.org; data definitions:
ch4_fluxrate and ch4_fluxrate_std in kg/h) and the Carbon Mapper data-portal plume export
(plume-csv / plume GeoJSON; emission_auto, emission_uncertainty_auto in kg/h, gsd in m).
The values are invented; expected values follow by hand (kg/h / 1000 = t/h).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from openmrv.errors import InputError
from openmrv.observe.catalogues import (
    PLUME_COLUMNS,
    read_carbonmapper_catalogue,
    read_imeo_catalogue,
    read_plume_catalogue,
)
from openmrv.verify import plumes as pv

IMEO_HEADER = (
    "id_plume,source_name,satellite,tile_date,lat,lon,actionable,notified,country,sector,"
    "detection_institution,quantification_institution,tile,ch4_fluxrate,ch4_fluxrate_std,"
    "wind_u,wind_v,total_emission,total_emission_std,wind_speed,last_update,insert_date\n"
)
IMEO_ROWS = (
    "p1,TKM_001,S2A,2023-05-01 06:50:11+00:00,38.50,54.20,yes,False,Turkmenistan,Oil and Gas,"
    "UNEP,UNEP,S2A_T40SBH,12500.0,4100.0,3.0,4.0,,,5.0,2023-06-01,2023-05-02\n"
    "p2,TKM_002,LC08,2023-05-03 06:40:00+00:00,38.60,54.30,no,False,Turkmenistan,Oil and Gas,"
    "UNEP,UNEP,LC08_x,,,3.0,4.0,,,,2023-06-01,2023-05-04\n"
    "p3,TKM_003,EMIT,2023-05-04T07:00:00Z,38.70,54.40,yes,True,Turkmenistan,Coal,"
    "UNEP,UNEP,EMIT_y,900,300,1.0,,,,,2023-06-01,2023-05-05\n"
)
CM_HEADER = (
    "plume_id,plume_latitude,plume_longitude,datetime,ipcc_sector,gas,emission_cmf_type,"
    "plume_bounds,instrument,mission_phase,published_at,modified,emission_version,"
    "processing_software,gsd,sensitivity_mode,off_nadir,emission_auto,"
    "emission_uncertainty_auto,wind_speed_avg_auto,wind_speed_std_auto,"
    "wind_direction_avg_auto,wind_direction_std_auto,wind_source_auto,platform,provider\n"
)
CM_ROWS = (
    'cm1,37.90,58.30,2024-03-02T08:10:00+00,Oil & Gas (1B2),CH4,mfa,"[58.2, 37.8, 58.4, 38.0]",'
    "tan,production,2024-03-10,2024-03-10,v3,3.16.0,32.0,standard,3.3,1500.0,250.0,4.0,0.3,"
    "180,2.5,hrrr,Tanager,Planet\n"
    'cm2,37.91,58.31,2024-03-02T08:10:00+00,Energy (1A1),CO2,mfa,"[58.2, 37.8, 58.4, 38.0]",'
    "tan,production,2024-03-10,2024-03-10,v3,3.16.0,32.0,standard,3.3,900000.0,1000.0,4.0,0.3,"
    "180,2.5,hrrr,Tanager,Planet\n"
    'cm3,37.95,58.35,2024-03-04T07:55:00+00,Waste (6A),CH4,mfa,"[58.3, 37.9, 58.4, 38.0]",'
    "emi,production,2024-03-10,2024-03-10,v3,3.16.0,,standard,3.3,,,2.0,0.3,"
    "180,2.5,hrrr,EMIT,NASA\n"
    'cm4,37.96,58.36,2024-03-05T07:55:00+00,Waste (6A),CH4,mfa,"[58.3, 37.9, 58.4, 38.0]",'
    "emi,production,2024-03-10,2024-03-10,v3,3.16.0,,standard,3.3,800.0,300.0,,0.3,"
    "180,2.5,,EMIT,NASA\n"
)


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_imeo_csv_by_hand(tmp_path):
    t = read_plume_catalogue(_write(tmp_path, "mars.csv", IMEO_HEADER + IMEO_ROWS))
    assert list(t.columns) == PLUME_COLUMNS
    # p2 has no flux rate: a detection not quantified, dropped and counted
    assert len(t) == 2 and t.attrs["unquantified"] == 1
    assert t["rate_t_per_h"].tolist() == pytest.approx([12.5, 0.9])  # kg/h / 1000
    assert t["rate_sigma_t_per_h"].tolist() == pytest.approx([4.1, 0.3])
    assert t["time"].iloc[0] == pd.Timestamp("2023-05-01 06:50:11")
    assert t["time"].iloc[1] == pd.Timestamp("2023-05-04 07:00:00")
    assert t["source"].iloc[0] == "UNEP IMEO MARS (mars)"
    assert t["source_type"].tolist() == ["Oil and Gas", "Coal"]
    assert t["country"].iloc[0] == "Turkmenistan"
    # pixel size from the satellite: Sentinel-2 SWIR 20 m, EMIT 60 m
    assert t["pixel_km"].tolist() == pytest.approx([0.02, 0.06])
    # wind: wind_speed where given, else |(wind_u, wind_v)|; p3 has neither complete -> NaN
    assert t["wind_speed_m_s"].iloc[0] == pytest.approx(5.0)
    assert np.isnan(t["wind_speed_m_s"].iloc[1])
    assert read_imeo_catalogue(tmp_path / "mars.csv").equals(t)


def test_imeo_geojson(tmp_path):
    feats = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [54.2, 38.5]},
            "properties": {
                "id_plume": "p1",
                "satellite": "S2B",
                "tile_date": "2023-05-01 06:50:11+00:00",
                "ch4_fluxrate": 3000.0,
                "ch4_fluxrate_std": 1000.0,
                "sector": "Oil and Gas",
                "wind_u": 3.0,
                "wind_v": 4.0,
            },
        }
    ]
    p = _write(
        tmp_path, "mars.geojson", json.dumps({"type": "FeatureCollection", "features": feats})
    )
    t = read_plume_catalogue(p)
    assert (t["lat"].iloc[0], t["lon"].iloc[0]) == (38.5, 54.2)  # from the point geometry
    assert t["rate_t_per_h"].iloc[0] == pytest.approx(3.0)
    assert t["wind_speed_m_s"].iloc[0] == pytest.approx(5.0)  # hypot(3, 4)
    assert t["pixel_km"].iloc[0] == pytest.approx(0.02)


def test_carbonmapper_csv_by_hand(tmp_path):
    t = read_plume_catalogue(_write(tmp_path, "cm.csv", CM_HEADER + CM_ROWS))
    # cm2 is CO2 (not kept for CH4); cm3 has no emission (dropped, counted)
    assert t["scene"].tolist() == ["cm1", "cm4"]
    assert t.attrs["unquantified"] == 1
    assert t["rate_t_per_h"].tolist() == pytest.approx([1.5, 0.8])
    assert t["rate_sigma_t_per_h"].tolist() == pytest.approx([0.25, 0.3])
    # pixel: gsd 32 m where given; else the platform's (EMIT 60 m)
    assert t["pixel_km"].tolist() == pytest.approx([0.032, 0.06])
    assert t["wind_speed_m_s"].iloc[0] == 4.0 and np.isnan(t["wind_speed_m_s"].iloc[1])
    assert t["time"].iloc[0] == pd.Timestamp("2024-03-02 08:10:00")
    assert t["source_type"].iloc[0] == "Oil & Gas (1B2)"
    assert t["instrument"].tolist() == ["Tanager", "EMIT"]
    co2 = read_carbonmapper_catalogue(tmp_path / "cm.csv", gas="CO2")
    assert co2["rate_t_per_h"].tolist() == pytest.approx([900.0])


def test_carbonmapper_geojson(tmp_path):
    feats = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [58.3, 37.9]},
            "properties": {
                "plume_id": "cm1",
                "gas": "CH4",
                "scene_timestamp": "2024-03-02T08:10:00Z",
                "instrument": "emi",
                "platform": "EMIT",
                "emission_auto": 2500.0,
                "emission_uncertainty_auto": 500.0,
            },
        }
    ]
    p = _write(tmp_path, "cm.geojson", json.dumps({"type": "FeatureCollection", "features": feats}))
    t = read_plume_catalogue(p)
    assert t["rate_t_per_h"].iloc[0] == pytest.approx(2.5)
    assert (t["lat"].iloc[0], t["lon"].iloc[0]) == (37.9, 58.3)
    assert t["pixel_km"].iloc[0] == pytest.approx(0.06)


def test_sron_through_dispatch(tmp_path):
    p = _write(
        tmp_path,
        "sron.csv",
        "date,time_UTC,lat,lon,source_rate_t/h,uncertainty_t/h,estimated_source_type\n"
        "20210101,08:00:00,38.00,58.00,40,10,Gas\n",
    )
    t = read_plume_catalogue(p)
    assert t["rate_t_per_h"].iloc[0] == 40 and t["instrument"].iloc[0] == "TROPOMI"
    assert t["pixel_km"].iloc[0] == pytest.approx(7.0)


def test_unknown_layout_names_file_and_expected_columns(tmp_path):
    p = _write(tmp_path, "other.csv", "when,where,how_much\n1,2,3\n")
    with pytest.raises(InputError) as e:
        read_plume_catalogue(p)
    msg = str(e.value)
    assert "other.csv" in msg
    for col in ("source_rate_t/h", "ch4_fluxrate", "emission_auto", "plume_latitude"):
        assert col in msg
    with pytest.raises(InputError, match="IMEO MARS"):
        read_imeo_catalogue(p)
    bad = _write(tmp_path, "bad.geojson", "{not json")
    with pytest.raises(InputError, match="GeoJSON"):
        read_plume_catalogue(bad)


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [("12500.0", "lots", "ch4_fluxrate"), ("38.50", "north", "lat"), ("4100.0", "-5", "ch4_")],
)
def test_imeo_bad_values_name_line_and_field(tmp_path, old, new, field):
    p = _write(tmp_path, "m.csv", IMEO_HEADER + IMEO_ROWS.replace(old, new, 1))
    with pytest.raises(InputError, match=field) as e:
        read_plume_catalogue(p)
    assert "line 2" in str(e.value)


def test_attribution_radius_by_hand():
    a = pv.assumptions()
    # the stated parameters (data/plume_annualisation.csv)
    assert a["attribution_pixels"]["value"] == 2
    assert a["source_location_time_s"]["value"] == 1800
    assert a["register_location_km"]["value"] == 10
    assert a["default_wind_speed_m_s"]["value"] == 5
    # TROPOMI 7 km, U = 5 m/s: 2 x 7 + 5 x 1800 / 1000 + 10 = 14 + 9 + 10 = 33 km
    assert pv.attribution_radius_km(7.0, 5.0) == pytest.approx(33.0)
    # no wind: the default 5 m/s -> the same
    assert pv.attribution_radius_km(7.0, np.nan) == pytest.approx(33.0)
    # Carbon Mapper 30 m, U = 3 m/s: 0.06 + 5.4 + 10 = 15.46 km
    assert pv.attribution_radius_km(0.03, 3.0) == pytest.approx(15.46)
    r = pv.attribution_radius_km(np.array([7.0, 0.03]), np.array([1.0, 10.0]))
    assert r == pytest.approx([14 + 1.8 + 10, 0.06 + 18 + 10])


def test_attribute_uses_pixel_and_wind_radius():
    # every plume 20.0 km north of facility A (1 degree = 111.195 km on the 6371.0088 km sphere)
    dlat = 20.0 / (2 * np.pi * 6371.0088 / 360)
    plumes = pd.DataFrame(
        {
            "lat": [38.0 + dlat] * 3,
            "lon": [58.0] * 3,
            "pixel_km": [7.0, 0.03, np.nan],
            "wind_speed_m_s": [5.0, 1.0, np.nan],
        }
    )
    fac = pd.DataFrame({"facility_id": ["A"], "lat": [38.0], "lon": [58.0]})
    att = pv.attribute(plumes, fac)
    assert att["distance_km"].to_numpy() == pytest.approx(20.0, rel=1e-6)
    # radii: 33 km (TROPOMI, 5 m/s); 0.06 + 1.8 + 10 = 11.86 km; the fixed 30 km (no pixel)
    assert att["attribution_radius_km"].tolist() == pytest.approx([33.0, 11.86, 30.0])
    assert att["facility_id"].tolist() == ["A", "", "A"]
    # an explicit radius overrides
    assert pv.attribute(plumes, fac, radius_km=10)["facility_id"].tolist() == ["", "", ""]
    # wind from (wind_u, wind_v) where no wind_speed: hypot(6, 8) = 10 -> 0.06 + 18 + 10
    own = plumes.drop(columns="wind_speed_m_s").assign(wind_u=6.0, wind_v=8.0)
    assert pv.plume_radii_km(own)[1] == pytest.approx(28.06)


# --- real exports: excerpts copied byte for byte (tests/data/catalogues/NOTICE.md) ---------
# The expected values are read from the file's text with the standard library's csv module
# (an independent reading: no pandas, no reader code); the counts were made by hand.

REAL = Path(__file__).parent / "data" / "catalogues"
MARS_REAL = REAL / "imeo_mars_plumes_excerpt.csv"
CM_REAL = REAL / "carbonmapper_plumes_excerpt.csv"
# pixel sizes [km] of the cited table (observe/data/instrument_pixels.csv), by hand
PIXEL = {"Sentinel-2": 0.02, "Landsat": 0.03, "EMIT": 0.06, "PRISMA": 0.03, "EnMAP": 0.03}
PIXEL |= {"GOES": 2.0, "TROPOMI": 7.0}


def _rows(path):
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _num(text):
    return float(text) if text.strip() else np.nan


def test_real_mars_export_header_is_the_published_one():
    # the MARS download of October 2024: 21 columns, no source_name column (the data
    # definitions list one); the reader needs none of the missing ones
    header = MARS_REAL.read_text().splitlines()[0].split(",")
    assert len(header) == 21 and "source_name" not in header
    assert {"tile_date", "lat", "lon", "ch4_fluxrate", "ch4_fluxrate_std"} <= set(header)


def test_real_mars_excerpt_against_its_text():
    rows = _rows(MARS_REAL)
    assert len(rows) == 22
    t = read_plume_catalogue(MARS_REAL)
    assert list(t.columns) == PLUME_COLUMNS
    # by hand: b90dbf68 (GOES) has no rate, bf1b78a3 (TROPOMI) a rate of 0.0 -> unquantified;
    # 477cb395, 87ebe944, 7d35d6f9, d1ecb497 (Kayrros TROPOMI) have a rate but no std
    assert t.attrs["unquantified"] == 2 and t.attrs["no_uncertainty"] == 4
    kept = [r for r in rows if _num(r["ch4_fluxrate"]) > 0 and r["ch4_fluxrate_std"].strip()]
    assert len(t) == len(kept) == 16
    for k, r in enumerate(kept):
        row = t.iloc[k]
        assert row["rate_t_per_h"] == pytest.approx(float(r["ch4_fluxrate"]) / 1000, rel=1e-12)
        assert row["rate_sigma_t_per_h"] == pytest.approx(float(r["ch4_fluxrate_std"]) / 1000)
        assert (row["lat"], row["lon"]) == (float(r["lat"]), float(r["lon"]))
        assert row["time"] == pd.Timestamp(r["tile_date"])  # no offset in the file: UTC
        name = r["satellite"].split(" - ")[0]  # "Landsat - NASA/USGS" -> "Landsat"
        assert row["instrument"] == name and row["pixel_km"] == pytest.approx(PIXEL[name])
        assert row["source_type"] == r["sector"] and row["country"] == r["country"]
        assert row["scene"] == (r["tile"] or r["id_plume"])
        wind = _num(r["wind_speed"])
        assert row["wind_speed_m_s"] == pytest.approx(wind, nan_ok=True)
    # the first Turkmenistan row by eye: 837.0 +- 136.0 kg/h, Landsat 8, 07:01:46.161 UTC
    tkm = t[t["country"] == "Turkmenistan"]
    assert len(tkm) == 9  # 11 in the file, less the two TROPOMI rows without a std
    first = tkm.iloc[0]
    assert (first["rate_t_per_h"], first["rate_sigma_t_per_h"]) == pytest.approx((0.837, 0.136))
    assert first["time"] == pd.Timestamp("2022-11-05 07:01:46.161")
    assert first["scene"] == "LC08_L1TP_163033_20221105_20221115_02_T1"


def test_real_mars_rows_without_uncertainty_kept_on_request():
    t = read_plume_catalogue(MARS_REAL, require_uncertainty=False)
    assert len(t) == 20 and t.attrs["unquantified"] == 2
    trop = t[t["instrument"] == "TROPOMI"]
    # the four Kayrros rows: rate kept, sigma NaN, scene = the plume id (no tile), 7 km pixel
    assert trop["rate_t_per_h"].tolist() == pytest.approx([37.358, 43.359, 33.754, 68.671])
    assert trop["rate_sigma_t_per_h"].isna().all()
    assert trop["pixel_km"].tolist() == [7.0] * 4
    assert trop["scene"].iloc[1] == "87ebe944-3263-430c-a421-982a6183a587"
    assert read_imeo_catalogue(MARS_REAL, require_uncertainty=False).equals(t)


def test_real_carbonmapper_excerpt_against_its_text():
    rows = _rows(CM_REAL)
    assert len(rows) == 19 and {r["gas"] for r in rows} == {"CH4"}
    t = read_plume_catalogue(CM_REAL)
    # by hand: six rows have no emission_auto (the -P, -J, -L, -CC Tanager plumes, one EMIT,
    # one GAO); every row with an emission has its uncertainty
    assert t.attrs["unquantified"] == 6 and t.attrs["no_uncertainty"] == 0
    kept = [r for r in rows if r["emission_auto"].strip()]
    assert len(t) == len(kept) == 13
    names = {"tan": "Tanager", "emi": "EMIT", "GAO": "Global Airborne Observatory"}
    for k, r in enumerate(kept):
        row = t.iloc[k]
        assert row["scene"] == r["plume_id"]
        assert row["rate_t_per_h"] == pytest.approx(float(r["emission_auto"]) / 1000, rel=1e-12)
        sigma = float(r["emission_uncertainty_auto"]) / 1000
        assert row["rate_sigma_t_per_h"] == pytest.approx(sigma, rel=1e-12)
        assert (row["lat"], row["lon"]) == (float(r["plume_latitude"]), float(r["plume_longitude"]))
        # "2025-05-21T18:08:50+00": UTC offset in hours only
        assert row["time"] == pd.Timestamp(r["datetime"].replace("+00", ""))
        assert row["instrument"] == names[r["instrument"]]
        # gsd [m] where given; else EMIT's 60 m; GAO (airborne, no gsd): unknown
        gsd = _num(r["gsd"]) / 1000
        if np.isnan(gsd):
            gsd = {"emi": 0.06, "GAO": np.nan}[r["instrument"]]
        assert row["pixel_km"] == pytest.approx(gsd, nan_ok=True)
        assert row["wind_speed_m_s"] == pytest.approx(float(r["wind_speed_avg_auto"]))
        assert row["source_type"] == r["ipcc_sector"]
    assert set(t["source_type"]) == {
        "Oil & Gas (1B2)",
        "Solid Waste (6A)",
        "",
        "Electricity Generation (1A1)",
        "Coal Mining (1B1a)",
        "Other",
    }
    assert read_carbonmapper_catalogue(CM_REAL).equals(t)
    # a CO2 request finds none of these CH4 plumes
    assert read_carbonmapper_catalogue(CM_REAL, gas="CO2").empty


@pytest.mark.parametrize("real", [MARS_REAL, CM_REAL])
def test_real_excerpts_with_bom_and_crlf(tmp_path, real):
    # the same bytes behind a UTF-8 byte-order mark and with CRLF line ends
    text = real.read_text()
    p = tmp_path / real.name
    p.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    assert read_plume_catalogue(p).equals(read_plume_catalogue(real))


def test_real_carbonmapper_bad_value_names_its_line_after_the_gas_filter(tmp_path):
    lines = CM_REAL.read_text().splitlines(keepends=True)
    # line 2 becomes a CO2 plume (filtered out); a bad rate on line 6 is still line 6
    lines[1] = lines[1].replace(",CH4,", ",CO2,", 1)
    rate = next(csv.DictReader(lines[:1] + lines[5:6]))["emission_auto"]
    lines[5] = lines[5].replace(f",{rate},", ",n/a,", 1)
    p = tmp_path / "cm.csv"
    p.write_text("".join(lines))
    with pytest.raises(InputError, match="emission_auto") as e:
        read_plume_catalogue(p)
    assert "line 6" in str(e.value) and "'n/a'" in str(e.value)


def test_real_mars_bad_time_names_its_line(tmp_path):
    lines = MARS_REAL.read_text().splitlines(keepends=True)
    lines[3] = lines[3].replace("2022-11-05T07:01:46.161000", "05/11/2022 7h", 1)
    p = tmp_path / "mars.csv"
    p.write_text("".join(lines))
    with pytest.raises(InputError, match="tile_date") as e:
        read_plume_catalogue(p)
    assert "line 4" in str(e.value) and "ISO 8601" in str(e.value)


def test_real_mars_rows_as_geojson_with_outlines(tmp_path):
    # MARS GeoJSON exports carry plume outlines (polygons); a feature without lat/lon
    # properties is placed at its outline's centroid. Two real rows, each as a square
    # outline of half-width 0.01 degree around its lat/lon (centroid = that point), one as
    # a MultiPolygon of two equal squares either side of it
    rows = [r for r in _rows(MARS_REAL) if r["country"] == "Turkmenistan"][:2]
    feats = []
    for i, r in enumerate(rows):
        lat, lon, h = float(r["lat"]), float(r["lon"]), 0.01
        sq = [[lon - h, lat - h], [lon + h, lat - h], [lon + h, lat + h], [lon - h, lat + h]]
        sq.append(sq[0])
        if i == 0:
            geom = {"type": "Polygon", "coordinates": [sq]}
        else:
            left = [[x - 2 * h, y] for x, y in sq]
            right = [[x + 2 * h, y] for x, y in sq]
            geom = {"type": "MultiPolygon", "coordinates": [[left], [right]]}
        props = {k: v for k, v in r.items() if k not in ("lat", "lon")}
        props["ch4_fluxrate"] = float(r["ch4_fluxrate"])  # JSON numbers, as geopandas writes
        props["ch4_fluxrate_std"] = float(r["ch4_fluxrate_std"])
        feats.append({"type": "Feature", "geometry": geom, "properties": props})
    p = tmp_path / "mars.geojson"
    p.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    t = read_plume_catalogue(p)
    assert t["lat"].tolist() == pytest.approx([float(r["lat"]) for r in rows], abs=1e-9)
    assert t["lon"].tolist() == pytest.approx([float(r["lon"]) for r in rows], abs=1e-9)
    assert t["rate_t_per_h"].tolist() == pytest.approx([0.837, 4.165])
