"""Calibrate U_eff = a·U10 + b for IME at TROPOMI pixels (7 x 5.5 km) on synthetic scenes.

Scenes: openmrv's column Gaussian plume (stability D), Q 3-30 kg/s, U10 1.5-10 m/s, random
direction, white noise 8 ppb, 32 x 32 pixels, source at the centre. For each detected plume
U_eff,true = Q·L / IME; a and b by least squares against U10. The method residual is the
relative scatter of the calibrated rates not explained by the noise and background terms
of the budget: sqrt(mean(e²) − mean(p²)). Prints the row for data/ueff.csv.

With ``transport`` (the row ``TROPOMI boundary-layer transport``, used for real scenes):
each scene's plume is carried by the mean wind of a daytime boundary layer (depth drawn
uniform in 0.5-2 km, the power-law profile of the Pasquill class of a sunny day at that
U10; ``data/wind_profile.csv``, :func:`boundary_layer_wind_factor`) while the method is
given U10, as on a real scene: U_eff relates the 10 m wind to the plume's own transport
(Varon et al. 2018 calibrated it on large-eddy simulations with a wind profile). Without
it the plume is carried by U10 itself (openmrv's forward model as it is, the row
``TROPOMI``, used for synthetic scenes of that model).

Run: PYTHONPATH=src python bench/plumes_calibrate.py            (TROPOMI, 7 x 5.5 km)
     PYTHONPATH=src python bench/plumes_calibrate.py TROPOMI transport
     PYTHONPATH=src python bench/plumes_calibrate.py CO2M       (2 x 2 km, 41 x 41 pixels,
     Q 1.5-15 kg/s CH4-equivalent at 13.7 ppb noise: the same signal-to-noise as CO2
     100-1500 kg/s at CO2M's 0.5 ppm, since ppm CO2 per kg/s = ppb CH4 per kg/s x
     (M_CH4 / M_CO2) / 1000 and 0.5 ppm / 0.3645 = 1372 ppb per 100 kg/s)
"""

from __future__ import annotations

import sys

import numpy as np

from openmrv.estimate.plumes import detect_plume, ime_rate
from openmrv.estimate.plumes.synthetic import (
    boundary_layer_wind_factor,
    daytime_boundary_layer_depths,
    daytime_stability,
    gaussian_plume_scene,
)

U10_RANGE = (1.5, 10.0)  # [m/s]: ueff.csv's u10_min, u10_max (flagged outside it)
SETUPS = {
    # pixel (row, col) [m], shape, noise [ppb], Q range [kg/s]
    "TROPOMI": ((7000.0, 5500.0), (32, 32), 8.0, (3.0, 30.0)),
    "CO2M": ((2000.0, 2000.0), (41, 41), 13.7, (1.5, 15.0)),
}


def main(instrument: str = "TROPOMI", transport: str = "", n: int = 400, seed: int = 1) -> None:
    pixel, shape, noise, (qlo, qhi) = SETUPS[instrument]
    area = pixel[0] * pixel[1]
    centre = (int(shape[0] / 2 - 0.5), int(shape[1] / 2 - 0.5))  # pixel of the source
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(n):
        q, u = rng.uniform(qlo, qhi), rng.uniform(*U10_RANGE)
        if transport:  # carried by the boundary layer's mean wind; the method sees U10
            depth = float(daytime_boundary_layer_depths(1, rng)[0])
            carry, cls = u * boundary_layer_wind_factor(u, depth), daytime_stability(u)
        else:
            carry, cls = u, "D"
        d, _, _ = gaussian_plume_scene(
            q, carry, rng.uniform(0, 360), shape=shape, pixel_m=pixel, stability=cls
        )
        scene = 1900 + d + rng.normal(0, noise, d.shape)
        det = detect_plume(scene, noise, source=centre)
        if not det.detected:
            continue
        r = ime_rate(scene, det, area, u, rel_wind_error=0.0)
        ime, length = r.details["ime_kg"], r.details["length_m"]
        if ime <= 0:
            continue
        noise_rel = np.hypot(r.budget["background"], r.budget["retrieval_noise"]) / r.rate
        rows.append((q, u, q * length / ime, ime, length, noise_rel))
    a_ = np.array(rows)
    q, u, ue, ime, length, noise_rel = a_.T
    a, b = np.polyfit(u, ue, 1)
    est = (a * u + b) * ime / length
    e = est / q - 1
    method = float(np.sqrt(max(np.mean(e**2) - np.mean(noise_rel**2), 0.0)))
    print(
        f"{instrument}: detected {len(rows)} of {n}; a={a:.3f} b={b:.3f} m/s; "
        f"u10_min={U10_RANGE[0]:g} u10_max={U10_RANGE[1]:g} m/s"
    )
    print(f"relative error: mean {e.mean():+.3f}, rms {np.sqrt(np.mean(e**2)):.3f}")
    print(
        f"noise+background rms {np.sqrt(np.mean(noise_rel**2)):.3f}; method residual {method:.3f}"
    )


if __name__ == "__main__":
    main(*sys.argv[1:3])
