"""Calibrate U_eff = a·U10 + b for IME at TROPOMI pixels (7 x 5.5 km) on synthetic scenes.

Scenes: openmrv's column Gaussian plume (stability D), Q 3-30 kg/s, U10 1.5-10 m/s, random
direction, white noise 8 ppb, 32 x 32 pixels, source at the centre. For each detected plume
U_eff,true = Q·L / IME; a and b by least squares against U10. The method residual is the
relative scatter of the calibrated rates not explained by the noise and background terms
of the budget: sqrt(mean(e²) − mean(p²)). Prints the row for data/ueff.csv.

Run: PYTHONPATH=src python bench/plumes_calibrate.py
"""

from __future__ import annotations

import numpy as np

from openmrv.estimate.plumes import detect_plume, ime_rate
from openmrv.estimate.plumes.synthetic import gaussian_plume_scene

PIXEL_AREA = 7000.0 * 5500.0
NOISE = 8.0


def main(n: int = 400, seed: int = 1) -> None:
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(n):
        q, u = rng.uniform(3, 30), rng.uniform(1.5, 10)
        d, _, _ = gaussian_plume_scene(q, u, rng.uniform(0, 360))
        scene = 1900 + d + rng.normal(0, NOISE, d.shape)
        det = detect_plume(scene, NOISE, source=(15, 15))
        if not det.detected:
            continue
        r = ime_rate(scene, det, PIXEL_AREA, u, rel_wind_error=0.0)
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
    print(f"detected {len(rows)} of {n}; a={a:.3f} b={b:.3f} m/s")
    print(f"relative error: mean {e.mean():+.3f}, rms {np.sqrt(np.mean(e**2)):.3f}")
    print(
        f"noise+background rms {np.sqrt(np.mean(noise_rel**2)):.3f}; method residual {method:.3f}"
    )


if __name__ == "__main__":
    main()
