"""U_eff for real scenes: calibrated on synthetic plumes carried by the mean wind of a
daytime boundary layer while the method is given U10 (data/ueff.csv row 'TROPOMI
boundary-layer transport', bench/plumes_calibrate.py TROPOMI transport; issue 18).
Truth-kept scenes of another seed than the calibration's."""

from __future__ import annotations

import numpy as np
import pytest

from openmrv.errors import InputError
from openmrv.estimate.plumes import detect_plume, ime_rate
from openmrv.estimate.plumes.quantify import ueff_coefficients
from openmrv.estimate.plumes.synthetic import (
    boundary_layer_wind_factor,
    daytime_boundary_layer_depths,
    daytime_stability,
    gaussian_plume_scene,
)

AREA = 7000.0 * 5500.0
NOISE = 8.0


def test_boundary_layer_wind_factor_is_the_mean_of_the_power_law():
    # independent: the mean of u10 (z / 10)^p over 10 m .. h by the trapezoid rule
    for u10, h in ((1.0, 800.0), (4.0, 1500.0), (7.0, 600.0)):
        p = {"A": 0.07, "B": 0.07, "C": 0.10}[daytime_stability(u10)]
        z = np.linspace(10.0, h, 200001)
        prof = (z / 10.0) ** p
        mean = float(np.sum((prof[1:] + prof[:-1]) / 2 * np.diff(z)) / (h - 10.0))
        assert boundary_layer_wind_factor(u10, h) == pytest.approx(mean, rel=1e-6)
    # Turner (1970), strong insolation: A below 3 m/s, B to 5 m/s, C above
    assert [daytime_stability(u) for u in (1.0, 2.9, 3.0, 4.9, 5.0, 9.0)] == list("AABBCC")
    with pytest.raises(InputError):
        boundary_layer_wind_factor(3.0, 5.0)


def test_real_scene_ueff_recovers_plumes_carried_by_the_boundary_layer():
    rng = np.random.default_rng(2024)
    real, uniform = [], []
    for _ in range(150):
        q, u = rng.uniform(5, 25), rng.uniform(2, 9)
        depth = float(daytime_boundary_layer_depths(1, rng)[0])
        carry = u * boundary_layer_wind_factor(u, depth)
        d, _, _ = gaussian_plume_scene(
            q, carry, rng.uniform(0, 360), stability=daytime_stability(u)
        )
        s = 1900 + d + rng.normal(0, NOISE, d.shape)
        det = detect_plume(s, NOISE, source=(15, 15))
        if not det.detected:
            continue
        real.append(ime_rate(s, det, AREA, u, rel_wind_error=0.0).rate / q - 1)
        uniform.append(ime_rate(s, det, AREA, u, 0.0, scenes="synthetic").rate / q - 1)
    assert len(real) > 120
    # the real-scene row is unbiased on these scenes; the row for plumes carried by U10
    # itself is biased low by about the boundary layer's wind factor (1.2-1.5)
    assert abs(np.median(real)) < 0.08, np.median(real)
    assert -0.45 < np.median(uniform) < -0.15, np.median(uniform)
    # its synthetic residual is the calibration's (data/ueff.csv), not far off here
    c = ueff_coefficients("TROPOMI", "real")
    assert np.sqrt(np.mean(np.square(real))) < 2 * c["rel_residual"] + 0.05


def test_ueff_rows_for_real_and_synthetic_scenes():
    real, synthetic = ueff_coefficients("TROPOMI", "real"), ueff_coefficients("TROPOMI")
    assert real["a"] > synthetic["a"]
    # an instrument without a boundary-layer row falls back to its own row
    assert ueff_coefficients("CO2M", "real") == ueff_coefficients("CO2M")
    with pytest.raises(InputError):
        ueff_coefficients("NOPE", "real")


def test_plane_background_for_the_rates_removes_a_gradient_under_the_plume():
    # a plume on a background rising 1.5 ppb per column: the median background misses the
    # gradient under a mask that lies on the high side; the plane fitted away from the mask
    # takes it out (truth: the same scene without the gradient)
    rng = np.random.default_rng(31)
    err_median, err_plane = [], []
    for _ in range(30):
        d, _, _ = gaussian_plume_scene(15.0, 4.0, 0.0, source_rc=(15.5, 14.0))
        noise = rng.normal(0, NOISE, d.shape)
        flat = 1900 + d + noise
        ramp = flat + 1.5 * np.arange(32)[None, :]
        ref = detect_plume(flat, NOISE, source=(15, 14))
        truth = ime_rate(flat, ref, AREA, 4.0, 0.0).rate
        for bg, out in (("median", err_median), ("plane", err_plane)):
            det = detect_plume(ramp, NOISE, source=(15, 14), rate_background=bg)
            if det.detected:
                out.append(ime_rate(ramp, det, AREA, 4.0, 0.0).rate / truth - 1)
    assert len(err_plane) >= 25
    assert np.median(err_median) > 0.15  # the gradient counted as plume
    assert abs(np.median(err_plane)) < 0.1
    with pytest.raises(InputError):
        detect_plume(ramp, NOISE, source=(15, 14), rate_background="ring")


def test_pixel_mask_holds_the_source_and_stays_inside_the_seed_test():
    rng = np.random.default_rng(32)
    d, _, _ = gaussian_plume_scene(20.0, 3.0, 0.0, source_rc=(15.5, 10.0))
    s = 1900 + d + rng.normal(0, NOISE, d.shape)
    smooth = detect_plume(s, NOISE, source=(15, 10))
    pixel = detect_plume(s, NOISE, source=(15, 10), mask_on="pixel", z_mask=2.5)
    assert smooth.detected and pixel.detected
    # same seed test (the mask does not change whether there is a plume)
    assert pixel.z_seed == smooth.z_seed
    # the pixel mask: every pixel's own z above 2.5, one 8-connected cluster near the source
    assert (pixel.z[pixel.mask] > 2.5).all()
    rr, cc = np.nonzero(pixel.mask)
    assert np.min(np.hypot(rr - 15, cc - 10)) <= 3.0
    with pytest.raises(InputError):
        detect_plume(s, NOISE, source=(15, 10), mask_on="nope")
