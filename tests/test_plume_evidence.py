"""Third-party plume catalogues: reading, attribution, annualisation, comparison."""

from __future__ import annotations

import pandas as pd
import pytest

from openmrv.errors import InputError
from openmrv.observe.catalogues import read_sron_catalogue
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
    a = pv.annualise(att, 2021).set_index("facility_id")
    f = pv.assumptions()["valid_observation_fraction"]["value"]
    # site A: mean 50 t/h, detected on 2 of 365 x f days -> 50 x 2/(365 f) x 8760 h
    assert a.loc["A", "annual_kt"] == pytest.approx(50 * 2 / (365 * f) * 8760 / 1000)
    assert a.loc["A", "attributed"] and not a.drop("A")["attributed"].any()
    assert a["annual_sigma_kt"].gt(0).all()


def test_consistency_flags():
    assert pv.consistency(100, 50, 150, 400, 20)["flag"] == "inventory likely low"
    assert pv.consistency(100, 50, 150, 80, 20)["flag"].startswith("consistent")
    # a two-sided top-down estimate can also say the inventory is high
    assert pv.consistency(100, 80, 120, 10, 5, lower_bound=False)["flag"] == (
        "inventory likely high"
    )
    # a lower bound never says so
    assert pv.consistency(100, 80, 120, 10, 5)["flag"].startswith("consistent")


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
