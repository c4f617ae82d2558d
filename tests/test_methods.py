"""Each IPCC equation against an independent hand calculation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from openmrv.estimate.inventory import agriculture, energy, fugitive, ippu, timeseries, waste


def test_combustion_eq_2_1():
    # 1,000 TJ of natural gas at 56,100 kg CO2/TJ = 56.1 Gg CO2
    assert energy.combustion_emissions(1000.0, 56100.0) == pytest.approx(56.1e6)


def test_mass_to_energy():
    # 10 Gg of gas/diesel oil at NCV 43.0 TJ/Gg = 430 TJ
    assert energy.mass_to_energy(10.0, 43.0) == pytest.approx(430.0)


def test_reference_approach_eq_6_1():
    # 100 PJ natural gas, 15.3 t C/TJ, nothing excluded, COF 1:
    # 100,000 TJ * 15.3 t C/TJ = 1,530 Gg C -> * 44/12 = 5,610 Gg CO2
    co2 = energy.reference_approach_co2(1e5, 15.3, 0.0, 44 / 12, 1.0)
    assert co2 == pytest.approx(1530 * 44 / 12)


def test_fugitive_eq_4_2_1():
    assert fugitive.tier1_segment(60_000.0, 1e-3) == pytest.approx(60.0)


def test_cement_eq_2_1_and_2_2():
    # 1 Mt cement, 75 % clinker, 0.52 t CO2/t clinker = 390,000 t CO2
    assert ippu.cement_tier1(1e6, 0.75, 0.52) == pytest.approx(390_000.0)
    # exports of clinker add to, imports subtract from the clinker basis
    assert ippu.cement_tier1(1e6, 0.75, 0.52, 1e5, 0) == pytest.approx(0.52 * 650_000)
    # 1 Mt clinker, 0.51 t CO2/t, CKD 1.02 = 520,200 t
    assert ippu.cement_tier2(1e6, 0.51, 1.02) == pytest.approx(520_200.0)


def test_ammonia_eq_3_1_with_urea_recovery():
    # 1,000 t NH3 * 30.2 GJ/t * 15.3 kg C/GJ * 1 * 44/12 = 1,694,220 kg CO2
    gross = 1000 * 30.2 * 15.3 * 44 / 12
    assert ippu.ammonia_co2(1000, 30.2, 15.3, 1.0, 44 / 12) == pytest.approx(gross)
    # urea 1,000 t holds 12/60 * 1000 = 200 t C = 733.3 t CO2 recovered
    recovered = ippu.urea_co2_recovered(1000.0, 12 / 60, 44 / 12)
    assert recovered == pytest.approx(1000 * 44 / 60)
    net = ippu.ammonia_co2(1000, 30.2, 15.3, 1.0, 44 / 12, recovered * 1000)
    assert net == pytest.approx(gross - 733_333.333, rel=1e-6)


def test_petrochemical_eq_3_15():
    # 100 kt ethylene, 1.73 t CO2/t, GAF 110 % -> 190.3 kt
    assert ippu.petrochemical_tier1(1e5, 1.73, 110.0) == pytest.approx(190_300.0)


def test_livestock_eq_10_19():
    # 13.97 M sheep * 5 kg CH4/head/yr = 69.85 Gg CH4
    assert agriculture.livestock_ch4(13.97e6, 5.0) == pytest.approx(69.85)


def test_nitrogen_excretion_eq_10_30():
    # 0.9 kg N/(1000 kg)/day * 40 kg * 365 / 1000 = 13.14 kg N/head/yr
    assert agriculture.nitrogen_excretion(0.9, 40.0) == pytest.approx(13.14)


def test_urea_eq_11_13():
    assert agriculture.urea_application_co2(1000.0, 0.2, 44 / 12) == pytest.approx(733.333, 1e-6)


def test_soils_direct_and_indirect():
    # (1000 kg N * 0.01 + 500 kg N * 0.003) * 44/28
    assert agriculture.soils_direct_n2o(1000, 0.01, 500, 0.003, 44 / 28) == pytest.approx(
        11.5 * 44 / 28
    )
    # (1000*0.11 + 500*0.21)*0.01 + 1500*0.24*0.011 kg N2O-N
    exp = ((1000 * 0.11 + 500 * 0.21) * 0.01 + 1500 * 0.24 * 0.011) * 44 / 28
    assert agriculture.soils_indirect_n2o(
        1000, 500, 1500, 0.11, 0.21, 0.01, 0.24, 0.011, 44 / 28
    ) == pytest.approx(exp)


def test_fod_single_deposit_closed_form():
    # One deposit in year 0; with the default 6-month delay nothing decays in year 0,
    # then DDOCm * exp(-k (t-1)) * (1 - exp(-k)) decays in year t >= 1.
    k, w, doc, docf, mcf, f = 0.09, 100.0, 0.15, 0.5, 1.0, 0.5
    deposited = np.zeros(30)
    deposited[0] = w
    ch4 = waste.fod_ch4(deposited, doc, docf, mcf, f, k, 0.0, 16 / 12)
    ddocm = w * doc * docf * mcf
    t = np.arange(30)
    expected = np.where(t >= 1, ddocm * np.exp(-k * (t - 1)) * (1 - np.exp(-k)), 0.0)
    np.testing.assert_allclose(ch4, expected * f * 16 / 12, rtol=1e-12)


@given(st.floats(0.02, 0.7), st.floats(0, 6))
def test_fod_conserves_mass(k, delay):
    deposited = np.zeros(2000)
    deposited[:5] = [10, 20, 0, 5, 1]
    ch4 = waste.fod_ch4(deposited, 0.2, 0.5, 0.8, 0.5, k, 0.0, 16 / 12, delay_months=delay)
    decomposed_c = ch4.sum() / (0.5 * 16 / 12)
    assert decomposed_c == pytest.approx(36 * 0.2 * 0.5 * 0.8, rel=1e-6)


def test_fod_multi_type_is_sum_of_types():
    d = np.array([[1.0, 2, 3], [4, 5, 6]])
    both = waste.fod_ch4(
        d, np.array([0.15, 0.4]), 0.5, 0.6, 0.5, np.array([0.06, 0.185]), 0.1, 16 / 12
    )
    one = waste.fod_ch4(d[0], 0.15, 0.5, 0.6, 0.5, 0.06, 0.1, 16 / 12)
    two = waste.fod_ch4(d[1], 0.4, 0.5, 0.6, 0.5, 0.185, 0.1, 16 / 12)
    np.testing.assert_allclose(both, one + two)


def test_fod_draws_match_each_draw_alone():
    """The batched Monte Carlo form (draws, types, years) with per-draw parameters gives,
    draw by draw, what the single-draw form gives with that draw's numbers; and each
    type's single-deposit decay follows the closed form (Eq. 3.4-3.5, delay 6 months)."""
    rng = np.random.default_rng(4)
    draws, types, years = 5, 3, 25
    w = rng.uniform(0.0, 10.0, (draws, types, years))
    doc, k = rng.uniform(0.1, 0.4, (draws, types)), rng.uniform(0.02, 0.4, (draws, types))
    docf, mcf, f, ox = (rng.uniform(0.4, 0.9, draws) for _ in range(4))
    got = waste.fod_ch4(w, doc, docf, mcf, f, k, ox, 16 / 12, delay_months=3.0)
    assert got.shape == (draws, years)
    for i in range(draws):
        alone = sum(
            waste.fod_ch4(w[i, j], doc[i, j], docf[i], mcf[i], f[i], k[i, j], ox[i], 16 / 12, 3.0)
            for j in range(types)
        )
        np.testing.assert_allclose(got[i], alone, rtol=1e-12)
    one = np.zeros((2, 1, 12))
    one[:, 0, 0] = 100.0
    kk = np.array([[0.05], [0.3]])
    ch4 = waste.fod_ch4(one, np.full((2, 1), 0.2), 0.5, 1.0, 0.5, kk, 0.0, 16 / 12)
    t = np.arange(12)
    expected = np.where(t >= 1, 100 * 0.2 * 0.5 * np.exp(-kk * (t - 1)) * (1 - np.exp(-kk)), 0)
    np.testing.assert_allclose(ch4, expected * 0.5 * 16 / 12, rtol=1e-12)


def test_wastewater_eq_6_1_6_3():
    # 1 M people * 40 g BOD/day * 0.001 * 1.25 * 365 = 18.25 M kg BOD
    tow = waste.wastewater_tow(1e6, 40.0, 1.25)
    assert tow == pytest.approx(18.25e6)
    # 30 % to septic (MCF 0.5), 70 % untreated to river (MCF 0.1); B0 0.6
    ch4 = waste.wastewater_ch4(tow, np.array([0.3, 0.7]), 0.6, np.array([0.5, 0.1]))
    assert ch4 == pytest.approx(18.25e6 * 0.6 * (0.3 * 0.5 + 0.7 * 0.1))


def test_wastewater_n2o_eq_6_7():
    exp = 1e6 * 25.0 * 0.16 * 1.1 * 1.25 * 0.005 * 44 / 28
    assert waste.wastewater_n2o(1e6, 25.0, 0.16, 1.1, 1.25, 0.005, 44 / 28) == pytest.approx(exp)


@given(st.floats(0, 1e6), st.floats(0, 1e3), st.floats(0.01, 100))
def test_linear_in_activity(a, ef, c):
    assert fugitive.tier1_segment(c * a, ef) == pytest.approx(c * fugitive.tier1_segment(a, ef))


def test_interpolate_and_extrapolate():
    years = np.arange(2000, 2006)
    vals = np.array([np.nan, 2.0, np.nan, 4.0, np.nan, np.nan])
    v, f = timeseries.interpolate(years, vals)
    assert v[2] == 3.0 and f[2] == "I" and math.isnan(v[0])
    v, f = timeseries.extrapolate_trend(years, v)
    np.testing.assert_allclose(v, [1, 2, 3, 4, 5, 6])
    assert list(f) == ["E", "", "", "", "E", "E"]


def test_overlap_eq_5_1_and_surrogate_eq_5_2():
    old = np.array([10.0, 12.0, 14.0, 16.0])
    new = np.array([np.nan, np.nan, 7.0, 8.0])
    out, flags = timeseries.overlap(old, new)
    np.testing.assert_allclose(out, [5, 6, 7, 8])
    assert list(flags) == ["O", "O", "", ""]
    out, flags = timeseries.surrogate(np.array([np.nan, 4.0, np.nan]), np.array([1.0, 2, 3]))
    np.testing.assert_allclose(out, [2, 4, 6])
