"""More sources a neighbour needs (issue 17, item 4), Tier 1, each against a hand
calculation from the Guidelines' equation and default factor:

- 1.B.1.a coal mining (Vol 2 Ch 4 Sect 4.1.3.2, 4.1.4.2): CH4 = P x EF x 0.67 kg/m3;
- 2.A.2 lime (Vol 3 Ch 2 Eq. 2.8, Table 2.4): CO2 = M x EF;
- 2.B.2 nitric acid (Vol 3 Ch 3 Eq. 3.5, Table 3.3): N2O = EF x NAP;
- 2.C.1 iron and steel (Vol 3 Ch 4 Eq. 4.4-4.8, Tables 4.1, 4.2): E = P x EF;
- 3.C.7 rice (Vol 4 Ch 5 Eq. 5.1, 5.2, Tables 5.11-5.13): CH4 = EF_c x SF_w x SF_p x t x A.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from openmrv.case import load_case, read_activity
from openmrv.errors import CaseError
from openmrv.estimate.inventory import agriculture, compile_inventory, fugitive, ippu
from openmrv.estimate.inventory.montecarlo import factor_spread
from openmrv.factors import FactorLibrary
from openmrv.notation import read_notation_keys

CAT = "category (IPCC2006)"

ROWS = """category,activity,key,year,value,unit,source,notes
1.B.1.a.i,coal_production,,2020,2,Mt,synthetic,
1.B.1.a.ii,coal_production,,2020,5,Mt,synthetic,
2.A.2,lime_production,unspecified,2020,100,kt,synthetic,
2.A.2,lime_production,dolomitic,2020,40,kt,synthetic,
2.B.2,nitric_acid_production,medium_pressure,2020,300,kt,synthetic,
2.C.1,steel_production,bof,2020,1000,kt,synthetic,
2.C.1,steel_production,eaf,2020,500,kt,synthetic,
2.C.1,sinter_production,,2020,800,kt,synthetic,
2.C.1,dri_production,,2020,200,kt,synthetic,
3.C.7,area_harvested,continuously_flooded:non_flooded_lt180,2020,10000,ha,synthetic,
3.C.7,rice_cultivation_period,continuously_flooded:non_flooded_lt180,2020,120,day,synthetic,
3.C.7,area_harvested,intermittent_single_aeration:flooded_gt30,2020,5000,ha,synthetic,
3.C.7,rice_cultivation_period,intermittent_single_aeration:flooded_gt30,2020,100,day,synthetic,
"""


@pytest.fixture
def case(tmp_path: Path) -> Path:
    (tmp_path / "activity.csv").write_text(ROWS)
    (tmp_path / "case.yaml").write_text(
        "name: neighbour\ncountry: UZB\nyears: {first: 2020, last: 2020}\n"
        "qualifiers: {development: developing}\nactivity: [activity.csv]\n"
    )
    return tmp_path


def _inventory(folder: Path):
    c = load_case(folder)
    lib = FactorLibrary.default(qualifiers=c.qualifiers)
    return compile_inventory(c, read_activity(c), read_notation_keys(c), lib)


def _val(ds, gas: str, code: str) -> float:
    return float(ds[gas].sel({CAT: code, "time": "2020"}).values.squeeze())


def test_pure_equations_by_hand():
    # 2 Mt underground coal x 18 m3/t x 0.67 kg/m3 = 24.12 Gg CH4 (24,120,000 kg)
    assert fugitive.coal_mining_ch4(2e6, 18.0, 0.67) == pytest.approx(24.12e6)
    # 300 kt HNO3 x 7 kg N2O/t = 2,100,000 kg N2O
    assert ippu.nitric_acid_n2o(300e3, 7.0) == pytest.approx(2.1e6)
    assert ippu.lime_co2([1.0, 2.0], 0.75).tolist() == [0.75, 1.5]
    assert ippu.iron_steel_co2(1e6, 1.46) == pytest.approx(1.46e6)
    # rice, Eq. 5.1/5.2: 1.30 x 0.52 x 0.68 x 110 d x 2,000 ha = 101,129.6 kg CH4
    assert agriculture.rice_ch4(2000, 110, 1.30, 0.52, 0.68) == pytest.approx(101129.6)


def test_inventory_by_hand(case):
    ds = _inventory(case).dataset
    # coal, underground: 2e6 t x (18 mining, 2.5 post-mining) m3/t x 0.67e-6 Gg/m3
    assert _val(ds, "CH4", "1.B.1.a.i.1") == pytest.approx(2e6 * 18 * 0.67e-6)  # 24.12
    assert _val(ds, "CH4", "1.B.1.a.i.2") == pytest.approx(2e6 * 2.5 * 0.67e-6)  # 3.35
    # surface: 5e6 t x (1.2, 0.1) m3/t x 0.67e-6
    assert _val(ds, "CH4", "1.B.1.a.ii.1") == pytest.approx(5e6 * 1.2 * 0.67e-6)  # 4.02
    assert _val(ds, "CH4", "1.B.1.a.ii.2") == pytest.approx(5e6 * 0.1 * 0.67e-6)  # 0.335
    assert _val(ds, "CH4", "1.B.1") == pytest.approx(24.12 + 3.35 + 4.02 + 0.335)
    # lime: 100 kt x 0.75 (Tier 1 default) + 40 kt dolomitic x 0.77 (developing) = 105.8 Gg
    assert _val(ds, "CO2", "2.A.2") == pytest.approx(100 * 0.75 + 40 * 0.77)
    # nitric acid: 300 kt x 7 kg/t = 2,100 t = 2.1 Gg N2O
    assert _val(ds, "N2O", "2.B.2") == pytest.approx(2.1)
    # iron and steel: 1000 kt BOF x 1.46 + 500 kt EAF x 0.08 + 800 kt sinter x 0.20
    # + 200 kt DRI x 0.70 = 1460 + 40 + 160 + 140 = 1800 Gg CO2; CH4 800 kt x 0.07 kg/t
    assert _val(ds, "CO2", "2.C.1") == pytest.approx(1800.0)
    assert _val(ds, "CH4", "2.C.1") == pytest.approx(800e3 * 0.07 * 1e-6)  # 0.056 Gg
    # rice: 1.30 kg/ha/d x 1.00 x 1.00 x 120 d x 10,000 ha = 1,560,000 kg = 1.56 Gg
    # + 1.30 x 0.60 (single aeration) x 1.90 (flooded > 30 d before) x 100 d x 5,000 ha
    #   = 741,000 kg = 0.741 Gg
    assert _val(ds, "CH4", "3.C.7") == pytest.approx(1.56 + 0.741)


def test_records_cite_the_tables(case):
    rec = _inventory(case).records()
    cited = dict(zip(rec["category"] + "/" + rec["gas"], rec["factors"], strict=True))
    assert cited["2.B.2/N2O"].startswith("ipcc2006_v3c3_t3.3_nitric_acid:")
    assert cited["1.B.1.a.i.1/CH4"].startswith("ipcc2006_v2c4_s4.1_coal_mining:")
    eq = dict(zip(rec["category"] + "/" + rec["gas"], rec["equation"], strict=True))
    assert eq["2.A.2/CO2"] == "Vol 3 Ch 2 Eq. 2.8"
    assert eq["1.B.1.a.ii.1/CH4"] == "Vol 2 Ch 4 Sect 4.1.4.2"


def test_monte_carlo_spreads_by_the_table_uncertainty(case):
    res = _inventory(case)
    (est,) = [e for e in res.estimates if e.category == "2.B.2"]
    (ef,) = est.factors
    # medium-pressure plants: 7 kg N2O/t, +/-20 % (95 %, normal), Table 3.3
    assert (ef.value, ef.uncertainty_pct, ef.distribution) == (7.0, 20.0, "normal")
    rng = np.random.default_rng(1)
    ratio = factor_spread(ef).ratios(rng, 40000)[:, None]
    draws = est.simulate(lambda f: ratio, lambda s: np.ones((ratio.shape[0], s.values.size)))
    assert np.std(draws) / np.mean(draws) == pytest.approx(0.20 / 1.96, rel=0.03)
    # coal mining: triangular on the Guidelines' low-high range, mode the average
    (coal,) = [e for e in res.estimates if e.category == "1.B.1.a.i.1"]
    ef = next(f for f in coal.factors if f.parameter == "EF")
    assert (ef.low, ef.value, ef.high, ef.distribution) == (10.0, 18.0, 25.0, "triangular")


def test_coal_production_outside_1b1a_is_refused(tmp_path):
    (tmp_path / "activity.csv").write_text(
        "category,activity,key,year,value,unit,source,notes\n"
        "1.B.1.b,coal_production,,2020,1,Mt,synthetic,\n"
    )
    (tmp_path / "case.yaml").write_text(
        "country: UZB\nyears: {first: 2020, last: 2020}\nactivity: [activity.csv]\n"
    )
    with pytest.raises(CaseError, match=r"1\.B\.1\.a\.i \(underground\) or 1\.B\.1\.a\.ii"):
        _inventory(tmp_path)


def test_rice_needs_its_season_and_both_regimes(case):
    rows = (case / "activity.csv").read_text().splitlines()
    (case / "activity.csv").write_text(
        "\n".join(r for r in rows if "flooded_gt30" not in r or "area_harvested" in r) + "\n"
    )
    with pytest.raises(CaseError, match="no rice_cultivation_period series"):
        _inventory(case)
    (case / "activity.csv").write_text(
        "\n".join(r.replace(":non_flooded_lt180", "") for r in rows if "gt30" not in r) + "\n"
    )
    with pytest.raises(CaseError, match="give '<water regime during>:<before cultivation>'"):
        _inventory(case)
