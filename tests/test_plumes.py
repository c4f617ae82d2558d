"""Plume detection and quantification on synthetic scenes of openmrv's forward model."""

from __future__ import annotations

import numpy as np
import pytest

from openmrv.errors import InputError
from openmrv.estimate.plumes import csf_rate, detect_plume, ime_rate, ppb_to_kg_m2
from openmrv.estimate.plumes.synthetic import gaussian_plume_scene

AREA = 7000.0 * 5500.0
NOISE = 8.0


def _scene(q, u, deg, rng, noise=NOISE):
    d, x, y = gaussian_plume_scene(q, u, deg)
    return 1900 + d + rng.normal(0, noise, d.shape), x, y


def test_rate_recovered_within_uncertainty():
    rng = np.random.default_rng(3)
    q, u, deg = 10.0, 4.0, 30.0
    s, x, y = _scene(q, u, deg, rng)
    det = detect_plume(s, NOISE, source=(15, 15))
    assert det.detected
    wind = (np.cos(np.deg2rad(deg)), np.sin(np.deg2rad(deg)))
    for r in (ime_rate(s, det, AREA, u), csf_rate(s, det, x, y, AREA, u, wind)):
        assert abs(r.rate - q) <= 2 * r.sigma, r


def test_ime_sigma_covers_truth_about_68_percent():
    rng = np.random.default_rng(7)
    hits = n = 0
    for _ in range(150):
        q, u, deg = rng.uniform(5, 25), rng.uniform(2, 9), rng.uniform(0, 360)
        s, _, _ = _scene(q, u, deg, rng)
        det = detect_plume(s, NOISE, source=(15, 15))
        if not det.detected:
            continue
        r = ime_rate(s, det, AREA, u, rel_wind_error=0.0)  # wind known exactly here
        n += 1
        hits += abs(r.rate - q) <= r.sigma
    assert n > 120
    assert 0.55 <= hits / n <= 0.80, hits / n


def test_ime_mass_conservation():
    d, _, _ = gaussian_plume_scene(10.0, 5.0, 0.0, source_rc=(15.5, 2.5))
    s = 1900 + d
    det = detect_plume(s, 1.0, source=(15, 3))
    det.mask = d > 0  # the whole plume; no noise, so the background is exact
    det.background = 1900.0
    r = ime_rate(s, det, AREA, 5.0)
    injected = float(np.sum(ppb_to_kg_m2(d) * AREA))
    assert r.details["ime_kg"] == pytest.approx(injected, rel=1e-9)


def test_pure_noise_false_alarm_rate():
    rng = np.random.default_rng(11)
    alpha, n = 0.05, 300
    hits = sum(
        detect_plume(rng.normal(1900, NOISE, (32, 32)), NOISE, alpha=alpha).detected
        for _ in range(n)
    )
    assert hits / n <= alpha + 2 * np.sqrt(alpha * (1 - alpha) / n)


def test_all_nan_scene_is_an_input_error():
    with pytest.raises(InputError, match="no valid pixel"):
        detect_plume(np.full((32, 32), np.nan), NOISE)


def test_zero_wind_is_an_input_error():
    rng = np.random.default_rng(5)
    s, _, _ = _scene(10.0, 4.0, 0.0, rng)
    det = detect_plume(s, NOISE, source=(15, 15))
    with pytest.raises(InputError, match="positive wind"):
        ime_rate(s, det, AREA, 0.0)


def test_source_at_edge_is_flagged():
    rng = np.random.default_rng(9)
    d, _, _ = gaussian_plume_scene(15.0, 4.0, 180.0, source_rc=(15.0, 31.0))
    s = 1900 + d + rng.normal(0, NOISE, d.shape)
    det = detect_plume(s, NOISE, source=(15, 31))
    assert det.detected
    assert any("edge" in f for f in det.flags)
    r = ime_rate(s, det, AREA, 4.0)
    assert any("edge" in f for f in r.flags)


def test_source_outside_scene_is_an_input_error():
    rng = np.random.default_rng(1)
    with pytest.raises(InputError, match="outside"):
        s, _, _ = _scene(20.0, 4.0, 0.0, rng)
        detect_plume(s, NOISE, source=(40, 3))
