"""Run by bench/plumes_smartcarb.py with the ddeq peer venv's python (never imported by
openmrv): ddeq's IME and CSF on the SMARTCARB swath, one source at a time (PEERS.md
recipe). Prints one JSON line: per source ddeq_ime, ddeq_csf [kg/s] and seconds."""

import json
import sys
import time
import warnings
from pathlib import Path

warnings.filterwarnings("ignore")
t_import = time.perf_counter()
import ddeq  # noqa: E402
import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402
from _ddeq_steps import estimate, prepare, wind_dataset  # noqa: E402
from cartopy import crs as ccrs  # noqa: E402

CRS = ccrs.UTM(33)  # the SMARTCARB power plants lie at 12-18 E

data_dir, names = Path(sys.argv[1]), json.loads(sys.argv[2])
t0 = time.perf_counter()
sources = ddeq.sources.read_smartcarb()
data = ddeq.smartcarb.read_level2(
    data_dir / "Sentinel_7_CO2_2015042311_o1670_l0483.nc",
    co2_noise_scenario="low",
    no2_noise_scenario="low",
    only_observations=False,
)
data = prepare(ddeq, data, sources, CRS)
# ddeq.wind.read_at_sources fails on the rotated COSMO grid: the wind at each source is
# taken here at the nearest grid point (the same point openmrv's side uses)
wf = xr.open_dataset(data_dir / "SMARTCARB_winds_2015042311.nc")
uu, vv = [], []
for name in sources.source.values:
    lon0, lat0, _ = (float(np.squeeze(c)) for c in ddeq.sources.get_location(sources, name))
    d = (wf["lat"].values - lat0) ** 2 + (wf["lon"].values - lon0) ** 2
    i, j = np.unravel_index(np.argmin(d), d.shape)
    uu.append(float(wf["U_GNFR_A"][0, i, j]))
    vv.append(float(wf["V_GNFR_A"][0, i, j]))
winds = wind_dataset(ddeq, sources.source.values, uu, vv)
t_pre = time.perf_counter() - t0
rows = []
for name in names:
    r = {"source": name, "ddeq_pre_s": t_pre}
    s, w = sources.sel(source=[name]), winds.sel(source=[name])
    r.update(estimate(ddeq, data, w, s, CRS))
    rows.append(r)
print(json.dumps(rows))
