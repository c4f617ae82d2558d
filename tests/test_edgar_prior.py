"""The EDGAR v8.0 prior geography (issue 14, item 3): the inventory's sector totals placed
on the inversion grid by EDGAR's sector maps (regridded conservatively by area, clipped
to the country, scaled to the inventory), chosen by ``prior_geography: edgar``.

The EDGAR files are synthetic, in the layout of the real ones (a zip holding
``v8.0_FT2022_GHG_CH4_{year}_{sector}_emi.nc`` with ``emissions`` [Tonnes] on ``lat``,
``lon`` cell centres at x.x5 degree; Crippa et al. 2024, ESSD 16, 2811), over a regional
window instead of the globe, with a known pattern (the truth kept here).
"""

from __future__ import annotations

import zipfile

import numpy as np
import pytest
import xarray as xr
from typer.testing import CliRunner

from openmrv.case import load_case
from openmrv.cli import app
from openmrv.errors import CaseError, InputError
from openmrv.estimate.inversion.placement_edgar import edgar_for, regrid_mass, sector_codes
from openmrv.estimate.inversion.transport import Grid
from openmrv.observe.edgar import read_edgar_sector
from openmrv.observe.region import region_mask
from openmrv.report.inversion_sources import sources_note
from openmrv.stages.inversion import setup_state
from openmrv.stages.inversion_sources import place_by_edgar
from test_fetch_to_run import _cache_with
from test_inversion_case import mini_inventory, with_inversion  # noqa: F401 (fixture)

LAT = np.round(np.arange(30.05, 50.0, 0.1), 2)
LON = np.round(np.arange(45.05, 75.0, 0.1), 2)
#: the truth: (lat, lon) fine-cell centre -> tonnes per year, per EDGAR sector
PATTERN = {
    "PRO_GAS": {(38.05, 58.05): 1000.0, (39.55, 61.05): 3000.0, (36.05, 52.05): 5000.0},
    "PRO_OIL": {(39.55, 53.55): 2000.0},
}
INSIDE = {(38.05, 58.05), (39.55, 61.05), (39.55, 53.55)}  # in Turkmenistan; (36.05, 52.05): Iran


def edgar_zip(folder, sector: str, year: int, cells: dict, units: str = "Tonnes"):
    em = np.zeros((LAT.size, LON.size), "f4")
    for (la, lo), t in cells.items():
        em[np.argmin(np.abs(LAT - la)), np.argmin(np.abs(LON - lo))] = t
    ds = xr.Dataset(
        {"emissions": (("lat", "lon"), em, {"units": units, "long_name": "Emissions"})},
        coords={
            "lat": ("lat", LAT, {"units": "degrees_north"}),
            "lon": ("lon", LON, {"units": "degrees_east"}),
        },
    )
    stem = f"v8.0_FT2022_GHG_CH4_{year}_{sector}"
    nc = folder / f"{stem}_emi.nc"
    ds.to_netcdf(nc)
    out = folder / f"{stem}_emi_nc.zip"
    with zipfile.ZipFile(out, "w") as z:
        z.write(nc, nc.name)
        z.writestr("_README.txt", "synthetic")
    nc.unlink()
    return out


def test_reader_takes_the_real_layout_and_refuses_fluxes(tmp_path):
    f = edgar_zip(tmp_path, "PRO_GAS", 2002, PATTERN["PRO_GAS"])
    em = read_edgar_sector(f, (50.0, 34.0, 70.0, 44.0))
    assert em.attrs["units"] == "t" and float(em.sum()) == pytest.approx(9000.0)
    assert float(em.sel(latitude=39.55, longitude=61.05, method="nearest")) == 3000.0
    assert em.latitude.min() < 34.0 + 0.1 and em.longitude.max() > 70.0 - 0.1
    (tmp_path / "flx").mkdir()
    flx = edgar_zip(tmp_path / "flx", "WWT", 2002, {}, units="kg m-2 s-1")
    with pytest.raises(InputError, match="tonnes per cell"):
        read_edgar_sector(flx)


def test_regridding_conserves_mass_and_splits_by_area():
    """A 0.1 degree cell straddling two 0.25 degree cells splits by their shared area
    on the sphere: the longitude share times the share of sin(latitude)."""
    la, lo = np.round(np.arange(38.05, 39.0, 0.1), 2), np.round(np.arange(58.05, 59.0, 0.1), 2)
    m = np.zeros((la.size, lo.size))
    m[2, 2] = 100.0  # cell 38.2-38.3 N, 58.2-58.3 E: across 38.25 N and 58.25 E
    m[6, 6] = 40.0  # 38.6-38.7 N, 58.6-58.7 E: inside one coarse cell
    grid = Grid.from_bounds(58.0, 38.0, 59.0, 39.0, 0.25)
    out = regrid_mass(xr.DataArray(m, coords={"latitude": la, "longitude": lo}), grid)
    assert out.sum() == pytest.approx(140.0, rel=1e-12)
    s = np.sin(np.radians([38.2, 38.25, 38.3]))
    south = (s[1] - s[0]) / (s[2] - s[0])
    np.testing.assert_allclose(out[0, 0], 100.0 * south * 0.5, rtol=1e-9)
    np.testing.assert_allclose(out[1, 1], 100.0 * (1 - south) * 0.5, rtol=1e-9)
    assert out[2, 2] == pytest.approx(40.0)  # 38.5-38.75 N, 58.5-58.75 E


def test_sector_mapping_is_the_table():
    codes = sector_codes()
    assert codes["PRO_GAS"] == "1.B.2.b" and codes["ENF"] == "3.A.1"
    assert sorted(edgar_for("1.B.2", ["PRO_GAS", "PRO_OIL", "ENF"], codes)) == [
        "PRO_GAS",
        "PRO_OIL",
    ]
    assert edgar_for("1.B.2.b.iv", ["PRO_GAS", "PRO_OIL"], codes) == ["PRO_GAS"]  # coarser
    assert edgar_for("4.B", ["SWD_LDF", "WWT"], codes) == []


def _edgar_case(mini_case, tmp_path, resolution=0.5, year=2002):
    src = tmp_path / "edgar"
    src.mkdir()
    with_inversion(mini_case, prior_geography="edgar", resolution=resolution)
    for sector, cells in PATTERN.items():
        _cache_with(mini_case, "edgar_v8_ch4_gridded", edgar_zip(src, sector, year, cells))
    return load_case(mini_case)


def test_edgar_places_the_inventory_total_where_edgar_has_it(mini_case, mini_inventory, tmp_path):  # noqa: F811
    case = _edgar_case(mini_case, tmp_path)
    s = case.inversion_settings
    assert set(s.edgar) == {"PRO_GAS", "PRO_OIL"}
    assert set(s.edgar.values()) <= set(case.inputs())
    _, totals, placed, sv = setup_state(case, mini_inventory, s)
    grid = sv.grid
    field = _fields_of(case, mini_inventory, s)[list(totals).index("1.B.2")]
    assert field.sum() == pytest.approx(totals["1.B.2"], rel=1e-12)  # the inventory's total
    # the truth: each inside cell's mass lands in the 0.5 degree cell holding it, scaled
    scale = totals["1.B.2"] / sum(
        t for sec in PATTERN.values() for c, t in sec.items() if c in INSIDE
    )
    for sec in PATTERN.values():
        for (la, lo), t in sec.items():
            j, i = np.searchsorted(grid.lat + 0.25, la), np.searchsorted(grid.lon + 0.25, lo)
            want = t * scale if (la, lo) in INSIDE else 0.0  # Iran's cell clipped
            assert field[j, i] == pytest.approx(want, rel=1e-9)
    assert np.count_nonzero(field) == 3
    row = placed.set_index("sector").loc["1.B.2"]
    assert row["method"].startswith("EDGAR v8.0 PRO_GAS+PRO_OIL 2002")
    assert "openmrv for the others" in placed.attrs["prior_geography"]
    other = placed.set_index("sector").loc["3.A", "method"]
    assert "no EDGAR v8.0 map of this sector" in other
    assert bool(region_mask(np.array([61.05]), np.array([39.55]), "TKM")[0])


def _fields_of(case, inventory, s):
    """The sector fields after the EDGAR placement (as setup_state lays them)."""
    from openmrv.estimate.inversion.national import sector_totals
    from openmrv.estimate.inversion.statevector import sector_fields
    from openmrv.stages.inversion import _facilities, domain, on_carriers

    grid, land = domain(s)
    totals = sector_totals(inventory, s.sectors, s.year)
    fields, placed = sector_fields(grid, totals, _facilities(case), land)
    on_carriers(case, inventory, s.year, grid, land, totals, fields, placed)
    place_by_edgar(s, grid, land, totals, fields, placed)
    return fields


def test_the_run_says_which_geography_and_a_missing_year_is_an_error(mini_case, tmp_path):
    _edgar_case(mini_case, tmp_path, resolution=1.0)
    out = tmp_path / "run"
    res = CliRunner().invoke(app, ["invert", str(mini_case), "--out", str(out)])
    assert res.exit_code == 0, res.output
    with xr.open_dataset(out / "inversion" / "result.nc") as r:
        assert r.attrs["prior_geography"].startswith("EDGAR v8.0 2002 for 1 of 3 sectors (1.B.2)")
        assert "1.B.2: EDGAR v8.0 PRO_GAS+PRO_OIL 2002" in r.attrs["prior_placement"]
    assert "Prior geography: EDGAR v8.0 2002 for 1 of 3 sectors" in sources_note(out)
    with_inversion(mini_case, prior_geography="edgar", year=2001)
    s = load_case(mini_case).inversion_settings
    assert s.edgar == {}  # the cache holds 2002 only
    with pytest.raises(CaseError, match=r"no EDGAR v8\.0 CH4 file of 2001"):
        place_by_edgar(s, None, None, {}, None, None)
