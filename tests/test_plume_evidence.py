"""Third-party plume catalogues: reading, attribution, annualisation, comparison."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from openmrv.errors import InputError
from openmrv.observe.catalogues import read_sron_catalogue
from openmrv.verify import annualise as an
from openmrv.verify import plumes as pv

HEADER = "date,time_UTC,lat,lon,source_rate_t/h,uncertainty_t/h,estimated_source_type\n"


def _catalogue(tmp_path, rows: str):
    p = tmp_path / "cat.csv"
    p.write_text(HEADER + rows)
    return p


def test_read_attribute_annualise_by_hand(tmp_path):
    rows = (
        "20210101,08:00:00,38.00,58.00,40,10,Gas\n"
        "20210301,08:00:00,38.01,58.01,60,20,Gas\n"
        "20210501,08:00:00,40.00,60.00,100,30,Oil\n"
    )
    plumes = read_sron_catalogue(_catalogue(tmp_path, rows))
    fac = pd.DataFrame({"facility_id": ["A"], "lat": [38.05], "lon": [58.05]})
    att = pv.attribute(plumes, fac, radius_km=30)
    assert list(att["facility_id"]) == ["A", "A", ""]
    # site A: plumes on 2 days; its 2-degree region (38-40N 58-60E) has plumes on 2 days:
    # valid-view days between 2 and 365 x 0.586 = 213.9; fewer than 16 demonstrable: not
    # annualised
    sites = an.site_statistics(att, 2021).set_index("facility_id")
    assert sites.loc["A", "days_detected"] == 2 and sites.loc["A", "valid_days_low"] == 2
    assert sites.loc["A", "valid_days_high"] == pytest.approx(365 * 0.586)
    assert sites.loc["A", "mean_rate_t_per_h"] == pytest.approx(50)
    # 1-sigma of the mean: sqrt(10^2 + 20^2) / 2 and the spread sd(40, 60) / sqrt(2)
    sd = math.hypot(math.sqrt(10**2 + 20**2) / 2, 14.142135623730951 / math.sqrt(2))
    assert sites.loc["A", "mean_rate_sigma_t_per_h"] == pytest.approx(sd)
    a = an.annualise_sites(sites.reset_index()).sites.set_index("facility_id")
    assert (a["coverage"] == "insufficient").all() and a["annual_kt"].isna().all()
    # with 100 valid-view days known: 50 t/h x 2/100 x 8760 h = 8.76 kt
    known = an.site_statistics(att, 2021, valid_views=100).set_index("facility_id")
    b = an.annualise_sites(known.reset_index()).sites.set_index("facility_id")
    assert b.loc["A", "annual_kt"] == pytest.approx(50 * 2 / 100 * 8760 / 1000)
    assert b.loc["A", "attributed"] and not b.drop("A")["attributed"].any()
    assert b["annual_sigma_kt"].gt(0).all()


def test_consistency_flags():
    low = "inventory likely low (below the observed lower bound)"
    assert pv.consistency(100, 50, 150, 400, 20)["flag"] == low
    assert pv.consistency(100, 50, 150, 80, 20)["flag"] == (
        "no contradiction (lower bound below the inventory)"
    )
    # a two-sided top-down estimate can also say the inventory is high
    assert pv.consistency(100, 80, 120, 10, 5, lower_bound=False)["flag"] == (
        "inventory likely high"
    )
    # a lower bound never says so
    assert pv.consistency(100, 80, 120, 10, 5)["flag"].startswith("no contradiction")


@pytest.mark.parametrize(
    ("rows", "match"),
    [
        ("20210101,08:00:00,38,58,abc,10,Gas\n", "line 2"),
        ("2021-01-01,08:00:00,38,58,40,10,Gas\n", "YYYYMMDD"),
    ],
)
def test_bad_catalogue(tmp_path, rows, match):
    with pytest.raises(InputError, match=match):
        read_sron_catalogue(_catalogue(tmp_path, rows))


def test_missing_columns(tmp_path):
    p = tmp_path / "x.csv"
    p.write_text("a,b\n1,2\n")
    with pytest.raises(InputError, match="SRON plume list"):
        read_sron_catalogue(p)
