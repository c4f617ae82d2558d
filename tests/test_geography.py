"""Geography of a case: regions (shapely), the facility register's location classes,
pipelines as line sources, the allocation by region and attribution by location class."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

from openmrv.case import load_case, read_facilities
from openmrv.errors import InputError
from openmrv.estimate.inversion.placement import line_cells, proxy_field
from openmrv.estimate.inversion.transport import Grid
from openmrv.observe.geography import (
    area_km2,
    areas_by_region,
    cell_fractions,
    lengths_by_region,
    read_regions,
    region_of,
)
from openmrv.observe.region import country_polygons, points_in_polygons
from openmrv.registers import operating, read_pipelines
from openmrv.spatial import carrier_shares, line_length_km, location_classes
from openmrv.verify import plumes as pv
from openmrv.verify.regions import allocate

ROOT = Path(__file__).parents[1]
CASE = ROOT / "examples" / "turkmenistan"
GEO = CASE / "geography"
R_KM = 6371.0088  # mean Earth radius (IUGG), as openmrv/data/physical_constants.csv


@pytest.fixture(scope="module")
def regions():
    return read_regions(GEO / "velayats_naturalearth_admin1.geojson", GEO / "region_names.csv")


@pytest.fixture(scope="module")
def register(regions):
    fac = read_facilities(load_case(CASE))
    return fac.assign(region=region_of(regions, fac["lon"].to_numpy(float), fac["lat"]))


def test_velayats_read_and_renamed(regions):
    assert sorted(regions.names) == ["Ahal", "Balkan", "Dashoguz", "Lebap", "Mary"]
    named = dict(zip(regions.source_names, regions.names, strict=True))
    assert named["Tashauz"] == "Dashoguz" and named["Chardzhou"] == "Lebap"
    # areas on the sphere: a lat/lon box is R^2 dlon (sin phi_n - sin phi_s) exactly
    box = shapely.box(52.0, 35.0, 67.0, 43.0)
    exact = R_KM**2 * np.radians(15.0) * (np.sin(np.radians(43)) - np.sin(np.radians(35)))
    assert area_km2(box) == pytest.approx(exact, rel=1e-9)
    # the five velayats (Natural Earth 10 m) against the packaged 1:110m outline
    ne110 = shapely.union_all([shapely.Polygon(r[0]) for r in country_polygons("TKM")])
    total = sum(areas_by_region(regions).values())
    assert total == pytest.approx(area_km2(ne110), rel=0.03)


def test_fields_fall_in_their_velayat(register, regions):
    where = dict(zip(register["facility_id"], register["region"], strict=True))
    # as the sources place them: Galkynysh and Shatlyk in Mary; Cheleken and Goturdepe
    # in Balkan; Naip, Samandepe and Bagaja in Lebap (Amu Darya right bank)
    for fid in ("TKM-GF-001", "TKM-GF-003"):
        assert where[fid] == "Mary", fid
    for fid in ("TKM-OF-001", "TKM-OF-002", "TKM-OF-003", "TKM-GF-009"):
        assert where[fid] == "Balkan", fid
    for fid in ("TKM-GF-005", "TKM-GF-007", "TKM-GF-008"):
        assert where[fid] == "Lebap", fid
    # the data's own verdicts (not folklore): GEM's Dauletabad site point lies in Ahal on
    # the Natural Earth border, Horn's centroid of the same field in Mary; Ojak and Achak
    # (Horn) lie in Dashoguz
    assert where["TKM-GF-002"] == "Ahal"
    assert region_of(regions, 61.533333, 36.2)[0] == "Mary"
    assert where["TKM-GF-010"] == where["TKM-GF-012"] == "Dashoguz"
    # an independent point-in-polygon (the even-odd ray rule of observe.region) agrees
    # for every facility inside a polygon
    for name, geom in zip(regions.names, regions.geometries, strict=True):
        rings = [
            [np.asarray(p.exterior.coords), *[np.asarray(h.coords) for h in p.interiors]]
            for p in shapely.get_parts(geom)
        ]
        inside = points_in_polygons(register["lon"], register["lat"], rings)
        assert set(register.loc[inside, "region"]) <= {name}


def test_register_classes_and_sources(register):
    classes = set(location_classes())
    assert set(register["location_accuracy"]) <= classes
    fields = register[register["type"].str.endswith("_field")]
    assert (fields["location_accuracy"] != "town_centroid").sum() >= 16
    assert (register["location_accuracy"] == "exact").sum() >= 4  # 3 GEM fields + LNG
    assert register["location_source"].str.len().gt(0).all()
    # the non-field facilities of the old register are kept
    for fid in ("TKM-AM-005", "TKM-PO-001", "TKM-GT-001", "TKM-GP-005", "TKM-RF-001"):
        assert fid in set(register["facility_id"]), fid


def test_pipelines_read_and_operating():
    lines = read_pipelines(CASE / "pipelines.csv")
    assert len(lines) == 18
    op = operating(lines, 2020)
    assert "P0745" in set(op["pipeline_id"])  # East-West, 2015
    assert not {"P0764", "P0766", "P0740", "P2030"} & set(op["pipeline_id"])
    assert "P0745" not in set(operating(lines, 2014)["pipeline_id"])


def test_line_length_on_a_parallel():
    # along the equator from 0.1 E to 0.9 E: R x 0.8 degree, independent of the vertices
    line = shapely.LineString([(0.1, 0.0), (0.5, 0.0), (0.9, 0.0)])
    assert line_length_km(line) == pytest.approx(R_KM * np.radians(0.8), rel=1e-9)


def test_line_source_conserves_mass_on_the_grid(regions):
    grid = Grid.from_bounds(52.0, 35.0, 67.0, 43.0, 0.25)
    la, lo = np.meshgrid(grid.lat, grid.lon, indexing="ij")
    land = region_of(regions, lo.ravel(), la.ravel(), 0.0).reshape(grid.shape) != ""
    lines = operating(read_pipelines(CASE / "pipelines.csv"), 2020)
    country = regions.union
    lines["geometry"] = [shapely.intersection(g, country) for g in lines["geometry"]]
    lines["length_km"] = [line_length_km(g) for g in lines["geometry"]]
    lines = lines[lines["length_km"] > 0]
    for g in lines["geometry"]:
        cells, km = line_cells(grid, g)
        assert km.sum() == pytest.approx(line_length_km(g), rel=1e-6)
    q = 1.2345  # kg/s of transmission
    empty = pd.DataFrame(columns=["facility_id", "type", "lat", "lon"])
    field, rows = proxy_field(grid, {"1.B.2.b.iii.4": q}, empty, lines, land)
    assert field.sum() == pytest.approx(q, rel=1e-12)
    assert rows["proxy"].iloc[0].startswith("pipeline by length_km")
    # the East-West line alone: its share by length, in the cells it crosses
    ew = lines[lines["pipeline_id"] == "P0745"]
    cells, km = line_cells(grid, ew["geometry"].iloc[0])
    share = float(ew["length_km"].iloc[0] / lines["length_km"].sum())
    one, _ = proxy_field(grid, {"1.B.2.b.iii.4": q}, empty, ew, land)
    assert one.reshape(-1)[cells] == pytest.approx(q * km / km.sum())
    assert share < 1


def test_allocation_by_hand_and_sums():
    # two unit squares side by side: A (0-1 E) and B (1-2 E) on the equator
    a, b = shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)
    fac = pd.DataFrame(
        {
            "facility_id": ["F1", "F2", "F3"],
            "type": ["gas_field", "gas_field", "gas_field"],
            "region": ["A", "B", "B"],
            "eur_mmboe": [3000.0, 1000.0, np.nan],  # F3 not a giant: 250 MMBOE
        }
    )
    pipe = pd.DataFrame({"pipeline_id": ["P1"], "length_km": [300.0]})
    line_km = pd.DataFrame({"pipeline_id": ["P1", "P1"], "region": ["A", "B"], "km": [100, 200]})
    areas = {"A": area_km2(a), "B": area_km2(b)}
    parts = {"1.B.2.b.iii.2": 100.0, "1.B.2.b.iii.4": 30.0, "1.B.2.b.iii.5": 10.0}
    out = allocate(parts, fac, pipe, line_km, areas).groupby(["region", "category"])["value"]
    v = out.sum()
    assert v["A", "1.B.2.b.iii.2"] == pytest.approx(100 * 3000 / 4250)
    assert v["B", "1.B.2.b.iii.2"] == pytest.approx(100 * 1250 / 4250)
    assert v["A", "1.B.2.b.iii.4"] == pytest.approx(10.0)
    assert v["B", "1.B.2.b.iii.4"] == pytest.approx(20.0)
    assert v["A", "1.B.2.b.iii.5"] == pytest.approx(5.0, rel=1e-3)  # equal areas
    assert v.sum() == pytest.approx(sum(parts.values()))


def test_case_allocation_sums_to_the_national_total(register, regions):
    lines = operating(read_pipelines(CASE / "pipelines.csv"), 2020)
    country = regions.union
    lines["geometry"] = [shapely.intersection(g, country) for g in lines["geometry"]]
    lines["length_km"] = [line_length_km(g) for g in lines["geometry"]]
    lines = lines[lines["length_km"] > 0]
    line_km = pd.DataFrame(
        [
            {"pipeline_id": p, "region": r, "km": k}
            for p, g in zip(lines["pipeline_id"], lines["geometry"], strict=True)
            for r, k in lengths_by_region(regions, g).items()
        ]
    )
    parts = {"1.B.2.a.iii.2": 216.0, "1.B.2.b.iii.2": 719.0, "1.B.2.b.iii.4": 40.0}
    parts |= {"1.B.2.b.iii.3": 14.7, "1.B.2.b.iii.5": 56.3, "1.B.2.a.iii.4": 0.2}
    out = allocate(parts, register, lines, line_km, areas_by_region(regions))
    assert out["value"].sum() == pytest.approx(sum(parts.values()), rel=1e-12)
    # every pipeline's regional lengths add up to its length in the country
    for pid, g in zip(lines["pipeline_id"], lines["geometry"], strict=True):
        assert line_km.loc[line_km.pipeline_id == pid, "km"].sum() == pytest.approx(
            line_length_km(g), rel=1e-6
        )


def test_cell_fractions_sum_to_one_inside(regions):
    lon, lat = np.arange(52.125, 67, 0.25), np.arange(35.125, 43, 0.25)
    fr = cell_fractions(regions, lon, lat)
    tot = fr.sum(0)
    assert tot.max() == pytest.approx(1.0, abs=1e-9)
    # a cell well inside Mary (Galkynysh)
    i, j = np.searchsorted(lat, 37.1) - 1, np.searchsorted(lon, 62.3) - 1
    assert fr[regions.names.index("Mary"), i, j] == pytest.approx(1.0)


def test_proxy_rows_are_cited():
    shares, proxy = carrier_shares("1.B.2.b.iii.4", pd.DataFrame(), pd.DataFrame())
    assert shares["kind"].tolist() == ["land"] and "no pipeline" in proxy
    with (ROOT / "src/openmrv/data/spatial_proxies.csv").open() as fh:
        for row in csv.DictReader(fh):
            assert row["source"].strip(), row["category"]


def test_attribution_uses_each_facility_location_class():
    a = pv.assumptions()
    classes = location_classes()
    # plume with 7 km pixels and 5 m/s wind: base reach 2 x 7 + 5 x 1800 / 1000 = 23 km
    base = a["attribution_pixels"]["value"] * 7 + 5 * a["source_location_time_s"]["value"] / 1e3
    plume = pd.DataFrame({"lat": [38.0], "lon": [60.0], "pixel_km": [7.0], "wind_speed_m_s": [5.0]})
    km_per_deg = R_KM * np.pi / 180
    d_exact = base + classes["exact"]["register_location_km"] + 5  # just beyond its reach
    d_town = base + classes["town_centroid"]["register_location_km"] - 5  # within its reach
    fac = pd.DataFrame(
        {
            "facility_id": ["EXACT", "TOWN"],
            "lat": [38.0 + d_exact / km_per_deg, 38.0 - d_town / km_per_deg],
            "lon": [60.0, 60.0],
            "location_accuracy": ["exact", "town_centroid"],
        }
    )
    assert d_exact < d_town  # the exact site is nearer, yet too far for its small error
    out = pv.attribute(plume, fac)
    assert out["facility_id"].iloc[0] == "TOWN"
    assert out["attribution_radius_km"].iloc[0] == pytest.approx(
        base + classes["town_centroid"]["register_location_km"]
    )
    # without classes: one register error for all, the nearest (EXACT) within base + 10 km?
    plain = pv.attribute(plume, fac.drop(columns="location_accuracy"))
    reach = base + a["register_location_km"]["value"]
    assert plain["facility_id"].iloc[0] == ("EXACT" if d_exact <= reach else "")


def _case_copy(tmp_path: Path) -> Path:
    dst = tmp_path / "tkm"
    shutil.copytree(CASE, dst)
    return dst


def test_bad_pipeline_geometry_is_a_clear_error(tmp_path):
    path = tmp_path / "pipelines.csv"
    header = (CASE / "pipelines.csv").read_text().splitlines()[0] + "\n"
    for wkt, words in (
        ("POINT (60 38)", "LINESTRING"),
        ("LINESTRING (60 38, 61", "not WKT"),
        ("LINESTRING (200 38, 201 39)", "outside"),
        ("LINESTRING (60 38, 60 38)", "no length"),
    ):
        path.write_text(header + f'P1,x,1.B.2.b.iii.4,operating,2000,1,bcm,route,s,n,"{wkt}"\n')
        with pytest.raises(InputError, match=words) as err:
            read_pipelines(path)
        assert "line 2" in str(err.value) and "geometry" in str(err.value)


def test_unknown_region_and_invalid_polygon(tmp_path):
    names = tmp_path / "names.csv"
    rows = (GEO / "region_names.csv").read_text().splitlines()
    names.write_text("\n".join(r for r in rows if ",Tashauz," not in r) + "\n")
    with pytest.raises(InputError, match="unknown region"):
        read_regions(GEO / "velayats_naturalearth_admin1.geojson", names)
    bow = tmp_path / "bow.geojson"
    bow.write_text(
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"X"},'
        '"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]}}]}'
    )
    names.write_text("property,source_name,region,source,notes\nname,X,X,test,\n")
    with pytest.raises(InputError, match="invalid polygon"):
        read_regions(bow, names)


def test_bad_location_class_and_facility_outside_regions(tmp_path):
    case = _case_copy(tmp_path)
    text = (case / "facilities.csv").read_text()
    (case / "facilities.csv").write_text(text.replace(",field_centroid,", ",surveyed,", 1))
    with pytest.raises(InputError, match="location_accuracy 'surveyed'"):
        read_facilities(load_case(case))
    fac = pd.DataFrame(
        {"facility_id": ["F"], "type": ["gas_field"], "region": [""], "eur_mmboe": [1.0]}
    )
    with pytest.raises(InputError, match="outside every region"):
        allocate({"1.B.2.b.iii.2": 1.0}, fac, pd.DataFrame(), pd.DataFrame(), {"A": 1.0})
