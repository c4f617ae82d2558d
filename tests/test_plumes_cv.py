"""The cross-validation harness of the plume rates (bench/plumes_cv.py, issue 18) and the
real-scene method term it measures, on tables with the truth kept."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from openmrv.estimate.plumes.parameters import parameter
from openmrv.estimate.plumes.quantify import method_rel_error, ueff_coefficients

BENCH = Path(__file__).parents[1] / "bench"
_spec = importlib.util.spec_from_file_location("plumes_cv", BENCH / "plumes_cv.py")
cv = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cv)


def _table(rng, n, s_true, c_rel=0.3, o_rel=0.2, bias=1.0):
    """Scenes with a true rate; openmrv = truth·bias·exp(N(0, s_true) + N(0, o_rel)) with
    o_rel stated as its other budget terms; the catalogue = truth·exp(N(0, c_rel)) with
    c_rel stated."""
    truth = rng.uniform(10, 100, n)
    ours = truth * bias * np.exp(rng.normal(0, s_true, n) + rng.normal(0, o_rel, n))
    cat = truth * np.exp(rng.normal(0, c_rel, n))
    return pd.DataFrame(
        {
            "setting": cv.DEFAULT_SETTING,
            "file": [f"f{i}" for i in range(n)],
            "type": rng.choice(["Coal", "Gas", "Oil"], n),
            "country": rng.choice(["A", "B", "C", "D"], n),
            "cat": cat,
            "cat_sigma": c_rel * cat,
            "detected": True,
            "ours": ours,
            "sigma": np.hypot(o_rel, s_true) * ours,
            "sigma_other": o_rel * ours,
            "wind": rng.uniform(0.5, 6, n),
            "edge": False,
        }
    )


def test_real_scene_error_recovers_the_unexplained_scatter():
    rng = np.random.default_rng(18)
    for s_true in (0.0, 0.3, 0.6):
        est = cv.real_scene_error(_table(rng, 4000, s_true))
        assert est == pytest.approx(s_true, abs=0.06), (s_true, est)
    # a bias counts as error (about zero, not about the median): log(1.5) = 0.41; the
    # median-based mean square is exact for a centred normal and overstates a biased one
    # a little (here by about 0.1: conservative)
    est = cv.real_scene_error(_table(rng, 4000, 0.0, bias=1.5))
    assert np.log(1.5) - 0.03 <= est <= np.log(1.5) + 0.13, est


def test_cross_validation_fits_only_in_the_training_fold():
    rng = np.random.default_rng(3)
    df = _table(rng, 60, 0.4, bias=0.6)
    # one held-out scene made absurd: it must not move its own k or s
    df.loc[0, "ours"] *= 100.0
    loo = cv.cross_validate(df, None, fit_k=True, select=False)
    held = loo[loo.file == "f0"].iloc[0]
    k_train, s_train = cv.calibrate(df[df.file != "f0"], fit_k=True)
    assert held.k == pytest.approx(k_train) and held.s == pytest.approx(s_train)
    assert held.pred == pytest.approx(k_train * df.loc[0, "ours"])
    # k corrects the bias out of fold; the stated 1-sigma with s covers the truth-less
    # reference about as often as the two 1-sigmas in quadrature should (68 %)
    p = cv.cross_validate(_table(rng, 400, 0.4, bias=0.6), "country", fit_k=True, select=False)
    summ = cv.summary(p, "pred", "pred_sigma")
    assert abs(summ["median rel"]) < 0.1
    assert 0.6 <= summ["joint 1σ covers"] <= 0.78
    # groups: every scene held out exactly once
    assert sorted(p.file) == sorted(set(p.file)) and len(p) == 400


def test_ime_method_term_is_the_real_scene_error_for_tropomi():
    synthetic = ueff_coefficients("TROPOMI")["rel_residual"]
    real = parameter("ime_real_scene_rel_error_TROPOMI", "1")
    assert method_rel_error("TROPOMI", synthetic) == real > synthetic
    co2m = ueff_coefficients("CO2M")["rel_residual"]
    assert method_rel_error("CO2M", co2m) == co2m  # no real-scene value: the synthetic one
