"""Run by bench/plumes_isolated.py with the ddeq peer venv's python (never imported by
openmrv): ddeq's detection, centre curve, background, IME and CSF on each of the scenes
handed over in an .npz (the same noisy XCO2 [ppm] and NO2 [cm⁻²] arrays openmrv gets).

Each scene is put into the dataset ddeq's own SMARTCARB reader builds for the swath
(read once, cut to the window), replacing its CO2 and NO2 values; CO2_std and NO2_std stay
as the reader sets them for the "low" scenarios (0.5 ppm, 1e15 cm⁻²); clouds are set to 0
(ignored, as on openmrv's side). Only the one source is passed to the detection. Prints
one JSON line: per scene k, seed, ddeq_ime, ddeq_csf [kg/s] with their precision and the
seconds of the preprocessing (detection to plume signal) and of each method.

Args: SWATH_FILE SCENES_NPZ SOURCE
"""

import json
import sys
import time
import warnings

warnings.filterwarnings("ignore")
import ddeq  # noqa: E402
import numpy as np  # noqa: E402
from _ddeq_steps import estimate, prepare, wind_dataset  # noqa: E402
from cartopy import crs as ccrs  # noqa: E402

CRS = ccrs.UTM(33)  # the SMARTCARB power plants lie at 12-18 E

swath, npz, name = sys.argv[1], np.load(sys.argv[2]), sys.argv[3]
r0, r1, c0, c1 = (int(v) for v in npz["window"])
full = ddeq.smartcarb.read_level2(
    swath, co2_noise_scenario="low", no2_noise_scenario="low", only_observations=True
)
base = full.isel(nobs=slice(r0, r1), nrows=slice(c0, c1)).load()
base["clouds"][:] = 0.0
sources = ddeq.sources.read_smartcarb().sel(source=[name])
u, v = (float(x) for x in npz["wind"])
winds = wind_dataset(ddeq, [name], [u], [v])

rows = []
for n in range(len(npz["k"])):
    r = {"k": float(npz["k"][n]), "seed": int(npz["seed"][n])}
    t0 = time.perf_counter()
    data = base.copy(deep=True)
    data["CO2"][:] = npz["co2"][n]
    data["NO2"][:] = npz["no2"][n]
    try:
        data = prepare(ddeq, data, sources, CRS)
        r["ddeq_plume_px"] = int(data["detected_plume"].sum())
    except Exception as exc:  # the peer's own failures are reported, not hidden
        r["ddeq_error"] = f"{type(exc).__name__}: {str(exc)[:80]}"
    r["ddeq_pre_s"] = time.perf_counter() - t0
    r.update(estimate(ddeq, data, winds, sources, CRS, drop_nan=True))
    rows.append(r)
print(json.dumps(rows))
