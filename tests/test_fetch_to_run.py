"""From the cache to the run (issue 14, item 3): where a case's ``openmrv fetch`` cache
holds real soundings (and the joined winds) for the inversion period, the inversion runs
on them and says so; elsewhere the OSSE runs, labelled as before."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest
import xarray as xr
from typer.testing import CliRunner

from observe.synthetic import UOL
from openmrv.case import load_case
from openmrv.cli import app
from openmrv.fetch.cache import Cache
from openmrv.fetch.discover import cached_inversion_inputs, file_day
from openmrv.fetch.products import load_products
from openmrv.report.btr import render_html
from openmrv.stages.inversion import domain, read_inversion_soundings
from test_inversion_case import winds_file, with_inversion

PERIOD = {"start": "2012-01-01", "end": "2012-01-06"}


def _cache_with(case_dir, product: str, src, name: str | None = None) -> Cache:
    """Place ``src`` in the case's cache as ``openmrv fetch`` records files put there by
    hand (checksum taken now)."""
    p = load_products()[product]
    folder = case_dir / "cache" / product
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(src, folder / (name or src.name))
    cache = Cache(case_dir / "cache")
    cache.adopt(product, p.file_pattern, p.licence, "test")
    return cache


def test_file_day_reads_each_products_names():
    assert file_day(UOL.name) == pd.Timestamp("2012-01-02")
    blended = "S5P_BLND_L2__CH4____20200304T084500_20200304T102630_12525_03_020400_x.nc"
    assert file_day(blended) == pd.Timestamp("2020-03-04")
    assert file_day("UoL-GHG-L2-CH4-GOSAT-OCPR-20191231-fv9.0.nc") == pd.Timestamp("2019-12-31")
    assert file_day("era5_sl_2020-01.nc") is None
    assert file_day("x_20201340_20200105.nc") == pd.Timestamp("2020-01-05")  # month 13: next


def test_run_takes_the_real_soundings_of_the_cache(mini_case, tmp_path):
    case_dir = with_inversion(mini_case, period=PERIOD, obs_error=12)
    _cache_with(case_dir, "uol_gosat_proxy_v72", UOL)
    out = tmp_path / "run"
    res = CliRunner().invoke(app, ["invert", str(case_dir), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "real soundings" in res.output
    with xr.open_dataset(out / "inversion" / "result.nc") as r:
        assert r.attrs["osse"] == 0 and r.attrs["n_obs"] > 0
    assert (pd.read_csv(out / "inversion" / "totals.csv")["osse"] == 0).all()
    case = load_case(case_dir)
    cached = case_dir / "cache" / "uol_gosat_proxy_v72" / UOL.name
    assert case.inversion_settings.soundings == [cached]
    assert cached in case.inputs()  # so the signed manifest names it


def test_outside_the_period_or_switched_off_the_osse_runs(mini_case):
    with_inversion(mini_case, period={"start": "2012-02-01", "end": "2012-02-28"})
    _cache_with(mini_case, "uol_gosat_proxy_v72", UOL)
    assert load_case(mini_case).inversion_settings.osse  # the cached day is in January
    with_inversion(mini_case, period=PERIOD, from_cache=False)
    assert load_case(mini_case).inversion_settings.osse
    with_inversion(mini_case, period=PERIOD)
    assert not load_case(mini_case).inversion_settings.osse


def test_the_joined_winds_of_the_period_are_taken(mini_case, tmp_path):
    with_inversion(mini_case, period=PERIOD, obs_error=12)
    _cache_with(mini_case, "uol_gosat_proxy_v72", UOL)
    w = winds_file(tmp_path / "w.nc", "2011-12-31", 8)
    _cache_with(mini_case, "era5_single_levels", w, "era5_sl_20120101_20120106.nc")
    found = cached_inversion_inputs(
        mini_case, pd.Timestamp("2012-01-01"), pd.Timestamp("2012-01-06")
    )
    assert found.product == "uol_gosat_proxy_v72" and found.winds_product == "era5_single_levels"
    s = load_case(mini_case).inversion_settings
    assert s.winds == mini_case / "cache" / "era5_single_levels" / "era5_sl_20120101_20120106.nc"


def test_a_cached_file_changed_since_fetched_stops_the_run(mini_case, tmp_path):
    case_dir = with_inversion(mini_case, period=PERIOD, obs_error=12)
    _cache_with(case_dir, "uol_gosat_proxy_v72", UOL)
    f = case_dir / "cache" / "uol_gosat_proxy_v72" / UOL.name
    data = bytearray(f.read_bytes())
    data[-10] ^= 0xFF
    f.write_bytes(bytes(data))
    res = CliRunner().invoke(app, ["invert", str(case_dir), "--out", str(tmp_path / "r")])
    assert res.exit_code == 2, res.output
    assert UOL.name in res.output and "changed since it was fetched" in res.output


def test_only_one_sounding_product_is_used(mini_case):
    """Two products with files in the period: the product table's first, not a mix."""
    with_inversion(mini_case, period=PERIOD)
    _cache_with(mini_case, "uol_gosat_proxy_v72", UOL)
    _cache_with(mini_case, "uol_gosat_proxy_v90", UOL, "UoL-GHG-L2-CH4-GOSAT-OCPR-20120103-x.nc")
    found = cached_inversion_inputs(
        mini_case, pd.Timestamp("2012-01-01"), pd.Timestamp("2012-01-06")
    )
    order = [k for k, p in load_products().items() if "inversion soundings" in p.used_by]
    first = min(("uol_gosat_proxy_v72", "uol_gosat_proxy_v90"), key=order.index)
    assert found.product == first and len(found.soundings) == 1


@pytest.mark.parametrize("manifest", [False, True])
def test_no_cache_or_an_empty_one_changes_nothing(mini_case, manifest):
    with_inversion(mini_case, period=PERIOD)
    if manifest:
        Cache(mini_case / "cache").save()
    assert load_case(mini_case).inversion_settings.osse


def test_a_whole_run_on_the_cached_soundings_says_real_and_not_comparable(mini_case, tmp_path):
    """``openmrv run`` end to end on the real GOSAT day of the cache: the inversion's rows
    are labelled real, and one day constrains nothing, so they are "not comparable"
    (its DOFS are far below 0.5) -- said once in the headline, not once per category."""
    case_dir = with_inversion(mini_case, period=PERIOD, obs_error=12)
    _cache_with(case_dir, "uol_gosat_proxy_v72", UOL)
    out = tmp_path / "run"
    res = CliRunner().invoke(app, ["run", str(case_dir), "--out", str(out)])
    assert res.exit_code == 0, res.output
    v = pd.read_csv(out / "verification.csv")
    inv = v[v["evidence"].str.startswith("inversion")]
    assert len(inv) and set(inv["evidence"]) == {"inversion (real soundings)"}
    assert not inv["osse"].any()
    assert set(inv["flag"]) == {"not comparable (sensitivity too low)"}
    lines = json.loads((out / "headline.json").read_text())["lines"]
    beside = [line for line in lines if line.startswith("Beside it, openmrv's own")]
    assert all(line.count("inversion (real soundings)") <= 1 for line in beside)
    assert "inversion (OSSE" not in " ".join(lines)


def test_the_soundings_read_are_counted_per_month_and_shown(mini_case, tmp_path):
    """inversion/soundings_per_month.csv counts what the inversion read; the report's
    annex shows it. Truth: the UoL file of 2012-01-02 read alone with the same domain."""
    case_dir = with_inversion(mini_case, period=PERIOD, obs_error=12)
    _cache_with(case_dir, "uol_gosat_proxy_v72", UOL)
    out = tmp_path / "run"
    res = CliRunner().invoke(app, ["invert", str(case_dir), "--out", str(out)])
    assert res.exit_code == 0, res.output
    per_month = pd.read_csv(out / "inversion" / "soundings_per_month.csv")
    grid, _ = domain(load_case(case_dir).inversion_settings)
    n = read_inversion_soundings([UOL], grid.bounds, None).sizes["sounding"]
    assert per_month.to_dict("records") == [
        {"month": "2012-01", "product": "gosat_uol_proxy", "soundings": n, "in_period": n}
    ]
    page = render_html(out)
    assert f"Real soundings read: {n:,} QA-passed" in page
