"""Manure-management N2O (issue 17), Tier 1, against hand calculations from the Guidelines'
equations (IPCC 2006 Vol 4 Ch 10 Sect 10.5) and the packaged default tables:

- Nex = Nrate x TAM / 1000 x 365 (Eq. 10.30; Nrate Table 10.19, TAM Annex 10A, 2019R);
- direct N2O = sum_S N x Nex x MS_S x EF3_S x 44/28 (Eq. 10.25; EF3 Table 10.21);
- indirect N2O = (sum_S N x Nex x MS_S x Frac_GasMS_S) x EF4 x 44/28
  + (sum_S N x Nex x MS_S x Frac_LeachMS_S) x EF5 x 44/28 (Eq. 10.26-10.29; Table 10.22,
  Ch 11 Table 11.3), reported under 3.C.6 (CRT 3.B.5).

Numbers typed from the tables for region Asia, dairy cattle: Nrate 0.44 kg N/(1000 kg)/d,
TAM 386 kg; AWMS burned 11 %, drylot 29 %, liquid/slurry 1 %, pasture 38 %, solid storage
21 %; EF3 drylot 0.02, liquid/slurry 0.005, solid storage 0.01; Frac_GasMS 0.30 for all
three; Frac_LeachMS drylot 0.035, solid storage 0.02, liquid/slurry 0; EF4 0.010, EF5 0.011
(2019R aggregated defaults).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from openmrv.case import load_case, read_activity
from openmrv.errors import CaseError
from openmrv.estimate.inventory import agriculture, compile_inventory
from openmrv.notation import read_notation_keys
from openmrv.stages.inventory import factor_library

CAT = "category (IPCC2006)"
N2O_PER_N = 44 / 28
HEADS = 100_000.0
NEX = 0.44 * 386 / 1000 * 365  # 61.9916 kg N / head / yr (Eq. 10.30)


def _case(tmp_path: Path, rows: str) -> Path:
    (tmp_path / "activity.csv").write_text(
        "category,activity,key,year,value,unit,source,notes\n" + rows
    )
    (tmp_path / "case.yaml").write_text(
        "name: neighbour\ncountry: UZB\nyears: {first: 2020, last: 2020}\n"
        "qualifiers: {region: Asia, development: developing}\n"
        "factors: {prefer: [ipcc2019r_v4c11_t11.1_t11.3_soils]}\n"
        "activity: [activity.csv]\n"
    )
    return tmp_path


def _inventory(folder: Path):
    c = load_case(folder)
    return compile_inventory(c, read_activity(c), read_notation_keys(c), factor_library(c))


def _val(ds, gas: str, code: str) -> float:
    return float(ds[gas].sel({CAT: code, "time": "2020"}).values.squeeze())


DAIRY = "3.A.2.a.i,head_n2o,dairy_cattle,2020,100000,head,synthetic,\n"


def test_pure_equations_by_hand():
    # Eq. 10.26 / 10.28: 1000 head x 50 kg N x (0.5 x 0.3 + 0.5 x 0.1) = 10,000 kg N
    assert agriculture.manure_n_lost(1000, 50.0, [0.5, 0.5], [0.3, 0.1]) == pytest.approx(1e4)
    # Eq. 10.27 + 10.29: (10,000 x 0.01 + 2,000 x 0.0075) x 44/28 = 180.714... kg N2O
    got = agriculture.manure_n2o_indirect(1e4, 0.01, 2e3, 0.0075, 44 / 28)
    assert got == pytest.approx(115 * 44 / 28)


def test_direct_and_indirect_by_hand(tmp_path):
    res = _inventory(_case(tmp_path, DAIRY))
    ds = res.dataset
    n_total = HEADS * NEX  # 6,199,160 kg N excreted
    # direct: pasture (3.C.4) and burned (energy) are not managed manure
    direct = n_total * (0.29 * 0.02 + 0.01 * 0.005 + 0.21 * 0.01) * N2O_PER_N * 1e-6
    assert direct == pytest.approx(0.0774452, rel=1e-5)
    assert _val(ds, "N2O", "3.A.2.a.i") == pytest.approx(direct)
    vol = n_total * (0.29 + 0.01 + 0.21) * 0.30 * 0.010 * N2O_PER_N  # 14,904 kg N2O
    leach = n_total * (0.29 * 0.035 + 0.21 * 0.02) * 0.011 * N2O_PER_N  # 1,537.7 kg N2O
    assert _val(ds, "N2O", "3.C.6") == pytest.approx((vol + leach) * 1e-6)
    rec = res.records()
    eq = dict(zip(rec["category"] + "/" + rec["gas"], rec["equation"], strict=True))
    assert eq["3.A.2.a.i/N2O"] == "Vol 4 Ch 10 Eq. 10.25, Eq. 10.30"
    assert eq["3.C.6/N2O"] == "Vol 4 Ch 10 Eq. 10.26-10.29, Eq. 10.30"
    cited = dict(zip(rec["category"] + "/" + rec["gas"], rec["factors"], strict=True))
    assert "ipcc2019r_v4c10_manure_n2o:" in cited["3.A.2.a.i/N2O"]
    assert "ipcc2019r_v4c11_t11.1_t11.3_soils:" in cited["3.C.6/N2O"]


def test_country_specific_nex_replaces_the_default(tmp_path):
    rows = DAIRY + "3.A.2.a.i,n_excretion,dairy_cattle,2020,80,kg N / head / yr,national,\n"
    ds = _inventory(_case(tmp_path, rows)).dataset
    direct = HEADS * 80 * (0.29 * 0.02 + 0.01 * 0.005 + 0.21 * 0.01) * N2O_PER_N * 1e-6
    assert _val(ds, "N2O", "3.A.2.a.i") == pytest.approx(direct)


def test_monte_carlo_model_follows_each_input(tmp_path):
    res = _inventory(_case(tmp_path, DAIRY))
    (est,) = [e for e in res.estimates if e.category == "3.A.2.a.i" and e.gas == "N2O"]
    ones = lambda s: np.ones((1, s.values.size))  # noqa: E731
    assert est.simulate(lambda f: np.ones((1, 1)), ones)[0, 0] == pytest.approx(est.values[0])
    # doubling EF3 of drylot adds exactly the drylot term of Eq. 10.25
    drylot = next(f for f in est.factors if f.parameter == "EF3" and f.key == "drylot")
    got = est.simulate(lambda f: np.full((1, 1), 2.0 if f is drylot else 1.0), ones)[0, 0]
    assert got == pytest.approx(est.values[0] + HEADS * NEX * 0.29 * 0.02 * N2O_PER_N * 1e-6)
    # a 10 % higher N rate raises direct N2O by 10 % (Nex is proportional to it)
    nrate = next(f for f in est.factors if f.parameter == "N_rate")
    got = est.simulate(lambda f: np.full((1, 1), 1.1 if f is nrate else 1.0), ones)[0, 0]
    assert got == pytest.approx(1.1 * est.values[0])
    (ind,) = [e for e in res.estimates if e.category == "3.C.6"]
    ef5 = next(f for f in ind.factors if f.parameter == "EF5")
    got = ind.simulate(lambda f: np.full((1, 1), 0.0 if f is ef5 else 1.0), ones)[0, 0]
    vol = HEADS * NEX * 0.51 * 0.30 * 0.010 * N2O_PER_N * 1e-6
    assert got == pytest.approx(vol)


def test_head_n2o_outside_3a2_is_refused(tmp_path):
    case = _case(tmp_path, "3.A.1.a.i,head_n2o,dairy_cattle,2020,10,head,synthetic,\n")
    with pytest.raises(CaseError, match=r"belongs under a 3\.A\.2 animal category"):
        _inventory(case)
