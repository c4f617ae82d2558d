"""SMARTCARB (synthetic CO2M XCO2 with true hourly emissions): openmrv's CSF, Gaussian fit
and IME on the power plants of the shipped swath, against truth, beside ddeq on the same
sources in the same run.

The SMARTCARB files ship inside the ``ddeq`` package (PyPI, LGPL-2.1+), which openmrv does
not depend on: this script finds its data folder through ``$DDEQ_DATA``, or by asking the
peer venv's python (``$DDEQ_PYTHON``, default /tmp/ddeq_venv/bin/python) for
``ddeq.__file__``. ddeq itself runs in a subprocess with that python
(``bench/_ddeq_smartcarb.py``) and its per-source results are read back as JSON.

Scene: the CO2M swath Sentinel_7_CO2 2015-04-23 11 UTC (orbit 1670). For each source
inside the swath: a 41 x 41 pixel window (about 80 x 80 km) centred on the source pixel;
the same noise scenario as ddeq's run ("low": XCO2_TOT + 0.5 ppm, NO2_TOT + 1e15
molecules/cm², white, seed 1); the plume mask detected on NO2 (as ddeq does), the rate
from XCO2 [ppm -> ppb] over that mask; surface pressure PS; wind from SMARTCARB_winds
(U/V_GNFR_A, the COSMO plume-height wind) at the nearest grid point, for both tools;
truth from SMARTCARB-CO2-emissions.csv at 11 UTC. IME uses U_eff calibrated for 2 km
pixels (``data/ueff.csv`` row CO2M, ``bench/plumes_calibrate.py CO2M``).

Neighbouring plants: by default each rate's budget gets a ``neighbours`` term, the
difference between the rate over the whole detected mask and over the part that
``split_mask`` leaves to the source when the mask is shared among the known sources of
sources-smartcarb.csv within 150 km; ``--no-split`` leaves it out (the earlier budget).

ddeq quantifies only 1-2 of the 7 plants here, so this run cannot say whose error is
smaller; ``bench/plumes_isolated.py`` does that on one plume with k x N noise draws.

Run: PYTHONPATH=src python bench/plumes_smartcarb.py [--no-split]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr
from _peers import DDEQ_PY, peer_rows

from openmrv.constants import constant
from openmrv.errors import InputError
from openmrv.estimate.plumes import (
    csf_rate,
    detect_plume,
    gaussian_plume_fit,
    ime_rate,
    local_xy,
    split_mask,
)
from openmrv.estimate.plumes.parameters import parameter
from openmrv.estimate.plumes.quantify import pixel_areas, with_neighbour_term

SWATH = "Sentinel_7_CO2_2015042311_o1670_l0483.nc"
HALF = 20  # window half-width [pixels]
MT_YR_TO_KG_S = 1e9 / (8760 * 3600)
CO2_NOISE_PPM, NO2_NOISE = 0.5, 1e15  # SMARTCARB "low" scenarios (ddeq's noise levels)
WIND_ERR = parameter("rel_wind_error")  # our budgets' wind error (the CLI default; ddeq: 0)


def _methods(scene, det, area, x_m, y_m, wind, ps, pix, molar_mass):
    """IME, CSF and the Gaussian fit on one scene, as calls (``det.mask`` read at call)."""
    sp = float(np.hypot(*wind))
    common = {"molar_mass": molar_mass}
    return (
        partial(ime_rate, scene, det, area, sp, WIND_ERR, ps, "CO2M", **common),
        partial(csf_rate, scene, det, x_m, y_m, area, sp, wind, WIND_ERR, ps, **common),
        partial(gaussian_plume_fit, scene, det, x_m, y_m, wind, WIND_ERR, ps, pix, **common),
    )


def ddeq_data() -> Path:
    if "DDEQ_DATA" in os.environ:
        return Path(os.environ["DDEQ_DATA"])
    out = subprocess.run(
        [DDEQ_PY, "-c", "import ddeq, os; print(os.path.dirname(ddeq.__file__))"],
        capture_output=True,
        text=True,
        check=True,
    )
    return Path(out.stdout.strip().splitlines()[-1]) / "data"


def sources_in_swath(data: Path, ds: xr.Dataset) -> pd.DataFrame:
    src = pd.read_csv(data / "sources-smartcarb.csv", comment="#")
    truth = pd.read_csv(data / "SMARTCARB-CO2-emissions.csv", sep="\t", index_col=0)
    row = truth.loc["2015-04-23 11:00:00"]
    lat, lon = ds["latitude"].values, ds["longitude"].values
    out = []
    for s in src.itertuples():
        if s.source == "Berlin":
            continue  # a city (30 km), not a point source
        d = (lat - s.latitude) ** 2 + ((lon - s.longitude) * np.cos(np.deg2rad(s.latitude))) ** 2
        i, j = np.unravel_index(np.nanargmin(d), d.shape)
        if np.sqrt(d[i, j]) > 0.03 or not (HALF <= j < lat.shape[1] - HALF):
            continue  # outside the swath or too close to its edge for a window
        out.append(
            {
                "source": s.source,
                "lat": s.latitude,
                "lon": s.longitude,
                "i": int(i),
                "j": int(j),
                "truth_kg_s": float(row[f"{s.source} (Mt/yr)"]) * MT_YR_TO_KG_S,
            }
        )
    return pd.DataFrame(out)


def wind_at(w: xr.Dataset, lat: float, lon: float) -> tuple[float, float]:
    d = (w["lat"].values - lat) ** 2 + (w["lon"].values - lon) ** 2
    i, j = np.unravel_index(np.argmin(d), d.shape)
    return float(w["U_GNFR_A"][0, i, j]), float(w["V_GNFR_A"][0, i, j])


def ours(
    data: Path, ds: xr.Dataset, src: pd.DataFrame, seed: int = 1, split: bool = True
) -> pd.DataFrame:
    """openmrv's three methods per source; with ``split``, each rate's budget gets a
    ``neighbours`` term: the difference between the rate over the whole detected mask and
    over the part :func:`openmrv.estimate.plumes.split_mask` leaves to this source (the
    other known sources: every source of sources-smartcarb.csv within 150 km, Berlin
    included). The rate itself is the whole mask's."""
    rng = np.random.default_rng(seed)
    known = pd.read_csv(data / "sources-smartcarb.csv", comment="#")
    wf = xr.open_dataset(data / "SMARTCARB_winds_2015042311.nc").load()
    xco2 = (ds["XCO2_TOT"].values + rng.normal(0, CO2_NOISE_PPM, ds["XCO2_TOT"].shape)) * 1e3
    no2 = ds["NO2_TOT"].values + rng.normal(0, NO2_NOISE, ds["NO2_TOT"].shape)
    m_co2 = constant("M_CO2")
    rows = []
    for s in src.itertuples():
        t0 = time.perf_counter()
        w = np.s_[s.i - HALF : s.i + HALF + 1, s.j - HALF : s.j + HALF + 1]
        src_px = (s.i - w[0].start, s.j - w[1].start)
        scene = xco2[w]
        lat, lon = ds["latitude"].values[w], ds["longitude"].values[w]
        area = pixel_areas(ds["latitude_corners"].values[w], ds["longitude_corners"].values[w])
        ps = ds["PS"].values[w].astype(float)
        x_m, y_m = local_xy(lat, lon, s.lat, s.lon)
        u, v = wind_at(wf, s.lat, s.lon)
        res = {"source": s.source, "truth": s.truth_kg_s}
        try:
            d_no2 = detect_plume(no2[w], NO2_NOISE, source=src_px)
            if not d_no2.detected:
                raise InputError("NO2: " + "; ".join(d_no2.flags))
            det = detect_plume(scene, CO2_NOISE_PPM * 1e3, source=src_px)
            det.mask, det.source, det.detected = d_no2.mask, d_no2.source, True
            pix = float(np.sqrt(np.median(area)))
            ime, csf, gauss = _methods(scene, det, area, x_m, y_m, (u, v), ps, pix, m_co2)

            t1 = time.perf_counter()
            i = ime()
            t2 = time.perf_counter()
            c = csf()
            t3 = time.perf_counter()
            g = gauss()
            t4 = time.perf_counter()
            if split:
                oth = known[known["source"] != s.source]
                ox, oy = local_xy(
                    oth["latitude"].to_numpy(), oth["longitude"].to_numpy(), s.lat, s.lon
                )
                near = np.hypot(ox, oy) < 150e3
                own_mask, res["px_given"] = split_mask(
                    det.mask,
                    x_m,
                    y_m,
                    (0.0, 0.0),
                    np.column_stack([ox[near], oy[near]]),
                    (u, v),
                    pix,
                )
                if res["px_given"] and own_mask.sum() >= 3:
                    whole = det.mask
                    det.mask = own_mask
                    i = with_neighbour_term(i, ime())
                    c = with_neighbour_term(c, csf())
                    g = with_neighbour_term(g, gauss())
                    det.mask = whole
            pre = t1 - t0  # window, areas, wind, both detections: shared by the methods
            res.update(ime_s=pre + t2 - t1, csf_s=pre + t3 - t2, gauss_s=pre + t4 - t3)
            res.update(ime_csf_s=pre + t3 - t1)
            res.update(
                ime=i.rate,
                ime_sigma=i.sigma,
                csf=c.rate,
                csf_sigma=c.sigma,
                gauss=g.rate,
                gauss_sigma=g.sigma,
            )
        except InputError as exc:
            res.update(note=str(exc)[:50])
        res["seconds"] = time.perf_counter() - t0
        rows.append(res)
    return pd.DataFrame(rows)


def run_ddeq(data: Path, src: pd.DataFrame) -> pd.DataFrame:
    rows = peer_rows("_ddeq_smartcarb.py", str(data), json.dumps(list(src["source"])))
    return pd.DataFrame(rows) if rows is not None else pd.DataFrame({"source": src["source"]})


def main(split: bool = True) -> pd.DataFrame:
    data = ddeq_data()
    t0 = time.perf_counter()
    ds = xr.open_dataset(data / SWATH).load()
    src = sources_in_swath(data, ds)
    t_read = time.perf_counter() - t0
    o = ours(data, ds, src, split=split)
    print(f"neighbouring sources' plumes split off the mask: {split}")
    t_ours = time.perf_counter() - t0
    d = run_ddeq(data, src)
    tab = o.merge(d, on="source", how="left")
    for k in ("ime", "csf", "gauss", "ddeq_ime", "ddeq_csf"):
        if k in tab:
            tab[f"{k}_err"] = tab[k] / tab["truth"] - 1
    with pd.option_context("display.width", 200, "display.float_format", "{:.2f}".format):
        print(tab.to_string(index=False))
    print(f"\nopenmrv whole swath {t_ours:.2f} s (read {t_read:.2f} s) for {len(src)} sources")
    pre = float(tab["ddeq_pre_s"].max()) if "ddeq_pre_s" in tab else float("nan")
    summary = []
    for k, tcol in (
        ("ime", "ime_s"),
        ("csf", "csf_s"),
        ("gauss", "gauss_s"),
        ("ddeq_ime", "ddeq_ime_s"),
        ("ddeq_csf", "ddeq_csf_s"),
    ):
        if f"{k}_err" not in tab:
            continue
        e = tab[f"{k}_err"].dropna()
        inside = (tab[k] - tab["truth"]).abs() <= tab.get(f"{k}_sigma", np.nan)
        summary.append(
            {
                "method": k,
                "quantified": f"{len(e)}/{len(tab)}",
                "median |err|": e.abs().median(),
                "median err": e.median(),
                "within own 1-sigma": inside[tab[k].notna()].mean() if len(e) else np.nan,
                "s per source": tab[tcol].mean()
                + (pre if k.startswith("ddeq") else t_read) / len(tab),
            }
        )
    with pd.option_context("display.width", 200, "display.float_format", "{:.2f}".format):
        print(pd.DataFrame(summary).to_string(index=False))
    print(
        f"ddeq preprocessing (read, detect, curves, background) {pre:.1f} s per swath, "
        "shared over its sources in 's per source'; openmrv's reading likewise"
    )
    t_ddeq = pre + tab["ddeq_ime_s"].sum() + tab["ddeq_csf_s"].sum()
    t_fast = t_read + tab["ime_csf_s"].sum()
    print(
        f"per swath, detection + IME + CSF: openmrv {t_fast:.1f} s, ddeq {t_ddeq:.1f} s: "
        f"ratio {t_ddeq / t_fast:.0f}x"
    )
    print(f"per swath: openmrv {t_ours:.1f} s (all three methods), ddeq {t_ddeq:.1f} s (IME + CSF)")
    tab.attrs["read_s"] = t_read  # openmrv's reading of the swath, shared by its sources
    return tab


if __name__ == "__main__":
    main(split="--no-split" not in sys.argv)
