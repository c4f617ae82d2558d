"""One realistic power-plant plume with known truth, many noise draws, four emission
strengths: openmrv's IME, CSF and Gaussian fit beside ddeq's IME and CSF on the SAME noisy
fields, the same wind and the same window.

Why: ``bench/plumes_smartcarb.py`` compares the tools on the 7 plants of the SMARTCARB
swath, but ddeq quantifies only 1-2 of them, so "error against truth where both report"
rests on n = 1-2. Here one plume is reused k x N times.

The plume. The SMARTCARB CO2M swath (2015-04-23 11 UTC, orbit 1670) carries the COSMO-GHG
tracer ``XCO2_JV`` / ``NO2_JV`` (time-varying power-plant emissions). Despite the name
("for Jaenschwalde") this field holds the plumes of several plants (Jänschwalde,
Schwarze Pumpe, Boxberg, Lippendorf, Turów ... each starting at its own pixel), so the
Jänschwalde plume is cut out of the noise-free field: the 8-connected region of
XCO2_JV > ``CORE_PPM`` (0.1 ppm, a fifth of the noise) holding Jänschwalde's pixel,
dilated by ``RING`` (3) pixels, less the pixels within 3 pixels of another plume's region;
outside it both tracers are set to 0. The cut keeps 98-99 % of the mass a wider ring
would (printed). The tracer is linear in the emission, so the scene for a factor k is

    XCO2 = k·XCO2_iso + XCO2_BG + N(0, 0.5 ppm)                        (CO2M "low")
    NO2  = k·NO2_iso + NO2_BG + N(0, 1)·max(1e15, 0.15·(k·NO2_iso + NO2_BG))  ("low")

and the truth is k × Jänschwalde's emission at 11 UTC (SMARTCARB-CO2-emissions.csv).
Clouds are ignored for both tools (no pixel removed). Window: rows 445-525 x columns
37-122 of the swath (81 x 86 pixels of 2 km, the source 40 pixels from the upwind edge,
the plume running 45 pixels east to the swath edge). Wind: the COSMO plume-height wind
(U/V_GNFR_A) at the grid point nearest the plant, for both. Stated noise for both:
0.5 ppm and 1e15 cm⁻² (what ddeq's reader writes into CO2_std / NO2_std).

openmrv: the plume mask detected on NO2, the rate from XCO2 [ppm -> ppb] over it, IME with
U_eff of ``data/ueff.csv`` row CO2M, CSF, Gaussian fit, molar mass M_CO2, wind error from
the constants table (as ``bench/plumes_smartcarb.py``). ddeq (1.1, in its own venv,
``bench/_ddeq_isolated.py``, never imported by openmrv): each scene handed over as arrays
in an .npz, put into the dataset its SMARTCARB reader builds (window of it), then its
detection on NO2 with Jänschwalde as the only source, centre curve, background, IME, CSF.

Diagnosis (printed, :func:`diagnose`): at k = 1, IME and CSF on the noise-free plume
alone with the background known (A), and on plume + XCO2_BG with the background openmrv's
detection estimated (B), over four masks (detected on NO2; on XCO2 itself, as the U_eff
calibration does; the whole cut-out plume; the NO2 mask cut to the 41 x 41 window of
bench/plumes_smartcarb.py), with the mask's length, width and sqrt(area), the U_eff that
would give the truth, and the mean of XCO2_BG over the mask less the estimated
background. What-ifs (printed, not openmrv's method): the background as a plane fitted to
the pixels outside the mask (IME, CSF) (CSF's strips over the mask + 1 pixel, the other
what-if of the diagnosis, are openmrv's CSF since). The
"all" rows carry a 95 % bootstrap interval of the median |error| (scenes resampled).
Results and reading: docs/plumes.md, "One plume, many noise draws".

Run: PYTHONPATH=src python bench/plumes_isolated.py [--seeds N] [--fig PATH.png]
(N noise draws per k, default 16: 64 scenes, about 1.5 minutes of which ddeq 1.2 s a scene)
"""

from __future__ import annotations

import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr
from _peers import peer_rows
from plumes_smartcarb import MT_YR_TO_KG_S, SWATH, _methods, ddeq_data, wind_at
from rich.progress import track
from scipy import ndimage

from openmrv.constants import constant
from openmrv.errors import InputError
from openmrv.estimate.plumes import detect_plume, local_xy
from openmrv.estimate.plumes.quantify import pixel_areas

SOURCE = "Janschwalde"
ROWS, COLS = slice(445, 526), slice(37, 123)  # the window in the swath (81 x 86 pixels)
CORE_PPM, RING = 0.1, 3  # the plume cut out of the multi-plant tracer
KS = (0.25, 0.5, 1.0, 2.0)
CO2_NOISE_PPM, NO2_FLOOR, NO2_REL = 0.5, 1e15, 0.15  # ddeq's "low" scenarios
METHODS = ("ime", "csf", "gauss", "ddeq_ime", "ddeq_csf")


def _field(ds: xr.Dataset, name: str) -> np.ndarray:
    a = ds[name].values.astype(float)
    a[np.abs(a) > 1e30] = np.nan  # the files' fill value is not declared
    return a


def isolated_plume(ds: xr.Dataset, i: int, j: int) -> tuple[np.ndarray, np.ndarray, dict]:
    """(XCO2 [ppm], NO2 [cm⁻²]) of the one plume starting at pixel (i, j), cut out of the
    multi-plant tracers XCO2_JV / NO2_JV (whole swath; 0 outside the plume)."""
    co2, no2 = np.nan_to_num(_field(ds, "XCO2_JV")), np.nan_to_num(_field(ds, "NO2_JV"))
    lab, _ = ndimage.label(co2 > CORE_PPM, structure=np.ones((3, 3)))
    if lab[i, j] == 0:
        raise InputError(f"no tracer above {CORE_PPM} ppm at the source pixel ({i}, {j})")
    core = lab == lab[i, j]
    others = ndimage.binary_dilation((lab > 0) & ~core, iterations=RING)
    keep = ndimage.binary_dilation(core, iterations=RING) & ~others
    wide = ndimage.binary_dilation(core, iterations=3 * RING) & ~others
    info = {
        "pixels": int(keep.sum()),
        "mass_kept_vs_wider_ring": float(co2[keep].sum() / co2[wide].sum()),
        "mass_in_window": float(co2[ROWS, COLS][keep[ROWS, COLS]].sum() / co2[keep].sum()),
    }
    return np.where(keep, co2, 0.0), np.where(keep, no2, 0.0), info


def make_scenes(ds: xr.Dataset, co2_iso, no2_iso, n_seeds: int) -> list[dict]:
    """The k x seed noisy windows (XCO2 in ppm, NO2 in cm⁻²), the same arrays for both tools."""
    bg_co2, bg_no2 = _field(ds, "XCO2_BG")[ROWS, COLS], _field(ds, "NO2_BG")[ROWS, COLS]
    out = []
    for ki, k in enumerate(KS):
        for seed in range(n_seeds):
            rng = np.random.default_rng([seed, ki])
            co2 = k * co2_iso[ROWS, COLS] + bg_co2 + rng.normal(0, CO2_NOISE_PPM, bg_co2.shape)
            no2_true = k * no2_iso[ROWS, COLS] + bg_no2
            sd = np.maximum(NO2_FLOOR, NO2_REL * no2_true)
            out.append(
                {"k": k, "seed": seed, "co2": co2, "no2": no2_true + sd * rng.normal(size=sd.shape)}
            )
    return out


class Geometry:
    """What every scene of the window shares: pixel areas, local x/y, pressure, wind."""

    def __init__(self, ds: xr.Dataset, src: pd.Series, wind: tuple[float, float]):
        lat, lon = ds["latitude"].values[ROWS, COLS], ds["longitude"].values[ROWS, COLS]
        self.area = pixel_areas(
            ds["latitude_corners"].values[ROWS, COLS], ds["longitude_corners"].values[ROWS, COLS]
        )
        self.x, self.y = local_xy(lat, lon, src["latitude"], src["longitude"])
        self.ps = _field(ds, "PS")[ROWS, COLS]
        self.pix = float(np.sqrt(np.median(self.area)))
        self.src_px = (int(src["i"]) - ROWS.start, int(src["j"]) - COLS.start)
        self.wind = wind


def detect(g: Geometry, co2_ppb: np.ndarray, no2: np.ndarray, on: str = "NO2"):
    """openmrv's detection as bench/plumes_smartcarb.py: the mask from NO2 (``on="NO2"``)
    or from XCO2 itself (``on="CO2"``), the background from XCO2."""
    det = detect_plume(co2_ppb, CO2_NOISE_PPM * 1e3, source=g.src_px)
    if on == "CO2":
        if not det.detected:
            raise InputError("XCO2: " + "; ".join(det.flags))
        return det
    d_no2 = detect_plume(no2, NO2_FLOOR, source=g.src_px)
    if not d_no2.detected:
        raise InputError("NO2: " + "; ".join(d_no2.flags))
    det.mask, det.source, det.detected = d_no2.mask, d_no2.source, True
    return det


def plane(g: Geometry, scene: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Least-squares plane a + b·x + c·y through the valid pixels outside ``mask``."""
    out = ~mask & np.isfinite(scene)
    design = np.column_stack([np.ones(out.sum()), g.x[out] / 1e3, g.y[out] / 1e3])
    coef = np.linalg.lstsq(design, scene[out], rcond=None)[0]
    return coef[0] + coef[1] * g.x / 1e3 + coef[2] * g.y / 1e3


def ours(g: Geometry, scenes: list[dict], truth: float) -> pd.DataFrame:
    m_co2 = constant("M_CO2")
    rows = []
    for sc in track(scenes, description="openmrv"):
        r = {"k": sc["k"], "seed": sc["seed"], "truth": sc["k"] * truth}
        t0 = time.perf_counter()
        try:
            scene = sc["co2"] * 1e3
            det = detect(g, scene, sc["no2"])
            r["mask_px"] = int(det.mask.sum())
            calls = _methods(scene, det, g.area, g.x, g.y, g.wind, g.ps, g.pix, m_co2)
            t = [time.perf_counter()]
            for key, fn in zip(("ime", "csf", "gauss"), calls, strict=True):
                try:
                    est = fn()
                    r[key], r[key + "_sigma"] = est.rate, est.sigma
                except InputError as exc:
                    r[key + "_note"] = str(exc)[:60]
                t.append(time.perf_counter())
            r["det_s"] = t[0] - t0
            r["ime_s"], r["csf_s"], r["gauss_s"] = np.diff(t)
            # what-if, not openmrv's method (see docs/plumes.md): the background as a plane
            # fitted to the pixels outside the mask instead of one median. (CSF's strips over
            # the mask + 1 pixel, the other what-if of the diagnosis, became openmrv's CSF.)
            flat = replace(det, background=0.0)
            sub = scene - plane(g, scene, det.mask)
            calls = _methods(sub, flat, g.area, g.x, g.y, g.wind, g.ps, g.pix, m_co2)
            for key, fn in zip(("ime_plane", "csf_plane"), calls[:2], strict=True):
                est = fn()
                r[key], r[key + "_sigma"] = est.rate, est.sigma
        except InputError as exc:
            r["note"] = str(exc)[:60]
        rows.append(r)
    return pd.DataFrame(rows)


def run_ddeq(data: Path, scenes: list[dict], wind: tuple[float, float]) -> pd.DataFrame:
    with tempfile.TemporaryDirectory() as tmp:
        npz = Path(tmp) / "scenes.npz"
        np.savez(
            npz,
            co2=np.stack([s["co2"] for s in scenes]),
            no2=np.stack([s["no2"] for s in scenes]),
            k=np.array([s["k"] for s in scenes]),
            seed=np.array([s["seed"] for s in scenes]),
            window=np.array([ROWS.start, ROWS.stop, COLS.start, COLS.stop]),
            wind=np.array(wind),
        )
        rows = peer_rows("_ddeq_isolated.py", str(data / SWATH), str(npz), SOURCE)
    if rows is not None:
        return pd.DataFrame(rows)
    return pd.DataFrame({"k": [s["k"] for s in scenes], "seed": [s["seed"] for s in scenes]})


def stats(tab: pd.DataFrame, key: str, boot: int = 0) -> dict:
    """Quantified n/N, median / median abs / rms relative error, coverage of own 1σ; with
    ``boot`` > 0 the 95 % bootstrap interval of the median |error| (resampling scenes)."""
    ok = tab[key].notna() if key in tab else pd.Series(False, index=tab.index)
    e = (tab.loc[ok, key] / tab.loc[ok, "truth"] - 1) if ok.any() else pd.Series(dtype=float)
    sig = tab.loc[ok, key + "_sigma"] if key + "_sigma" in tab else np.nan
    cover = ((tab.loc[ok, key] - tab.loc[ok, "truth"]).abs() <= sig) if ok.any() else e
    ci = ""
    if boot and len(e) > 1:
        rng = np.random.default_rng(0)
        a = np.abs(e.to_numpy())
        meds = np.median(a[rng.integers(0, len(a), (boot, len(a)))], axis=1)
        ci = f"{np.quantile(meds, 0.025):.3f}-{np.quantile(meds, 0.975):.3f}"
    return {
        "n/N": f"{int(ok.sum())}/{len(tab)}",
        "median err": e.median(),
        "median |err|": e.abs().median(),
        "95% CI": ci,
        "rms err": float(np.sqrt(np.mean(e**2))) if len(e) else np.nan,
        "in own 1σ": cover.mean() if len(e) else np.nan,
        "median 1σ/truth": (sig / tab.loc[ok, "truth"]).median() if len(e) else np.nan,
    }


def diagnose(g: Geometry, ds: xr.Dataset, co2_iso, no2_iso, truth: float, n: int = 8):
    """Where the errors come from, at k = 1 with masks and backgrounds from n noisy draws:
    IME and CSF (A) on the noise-free plume alone with the background known (0), (B) on the
    noise-free plume + XCO2_BG with the background the detection estimated on the noisy
    scene. Masks: detected on NO2 (the bench), on XCO2 itself (as the U_eff calibration
    did), the whole isolated plume. Also the mask's along-wind length, mean width, sqrt(A)
    (IME scales with (U_eff/U)·sqrt(length/width)) and the mean of XCO2_BG over the mask
    minus the scene's median of it [ppb]."""
    m_co2 = constant("M_CO2")
    plume = co2_iso[ROWS, COLS] * 1e3
    bg = _field(ds, "XCO2_BG")[ROWS, COLS] * 1e3
    u = float(np.hypot(*g.wind))
    along = (g.x * g.wind[0] + g.y * g.wind[1]) / u
    rows = []
    for sc in make_scenes(ds, co2_iso, no2_iso, n):
        if sc["k"] != 1.0:
            continue
        for on in ("NO2", "CO2", "region", "NO2 in 41x41"):
            try:
                det = detect(g, sc["co2"] * 1e3, sc["no2"], "CO2" if on == "CO2" else "NO2")
            except InputError:
                continue
            if on == "region":
                det.mask = plume > 0
            if on == "NO2 in 41x41":  # the window of bench/plumes_smartcarb.py
                i, j = g.src_px
                cut = np.zeros_like(det.mask)
                cut[i - 20 : i + 21, j - 20 : j + 21] = True
                det.mask = det.mask & cut
            r = {"mask": on, "pixels": int(det.mask.sum())}
            est_bg = det.background
            for case, scene, b0 in (("A", plume, 0.0), ("B", plume + bg, est_bg)):
                det.background = b0
                ime, csf, _ = _methods(scene, det, g.area, g.x, g.y, g.wind, g.ps, g.pix, m_co2)
                i_, c_ = ime(), csf()
                r[f"IME {case}"] = i_.rate / truth - 1
                r[f"CSF {case}"] = c_.rate / truth - 1
                r[f"IME {case} kg/s"], r[f"CSF {case} kg/s"] = i_.rate, c_.rate
            r["U_eff/U"] = i_.details["u_eff"] / u
            r["U_eff,true/U"] = truth / r["IME A kg/s"] * r["U_eff/U"]  # U_eff giving the truth
            length = float(np.ptp(along[det.mask]))
            r["length km"] = length / 1e3
            r["width km"] = det.mask.sum() * g.pix**2 / length / 1e3
            r["sqrt(A) km"] = i_.details["length_m"] / 1e3
            r["BG over mask - est. [ppb]"] = float(np.mean(bg[det.mask]) - est_bg)
            rows.append(r)
    tab = pd.DataFrame(rows).groupby("mask", sort=False).median()
    for m in ("IME", "CSF"):
        tab[f"{m} B-A kg/s"] = tab[f"{m} B kg/s"] - tab[f"{m} A kg/s"]
    return tab.drop(columns=[c for c in tab if c.endswith(" kg/s") and "B-A" not in c]).T


def figure(tab: pd.DataFrame, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4))
    for n, key in enumerate(METHODS):
        if key not in tab:
            continue
        for ki, k in enumerate(KS):
            sub = tab[(tab["k"] == k) & tab[key].notna()]
            e = sub[key] / sub["truth"] - 1
            ax.boxplot(e, positions=[ki * 6 + n], widths=0.8, showfliers=False)
    ax.set_xticks([ki * 6 + 2 for ki in range(len(KS))], [f"k = {k}" for k in KS])
    ax.axhline(0, color="k", lw=0.5)
    ax.set_ylabel("estimate / truth − 1")
    ax.set_title("per k, left to right: " + ", ".join(METHODS))
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main(n_seeds: int = 16, fig: str | None = None) -> pd.DataFrame:
    data = ddeq_data()
    ds = xr.open_dataset(data / SWATH).load()
    src = pd.read_csv(data / "sources-smartcarb.csv", comment="#").set_index("source").loc[SOURCE]
    lat, lon = ds["latitude"].values, ds["longitude"].values
    d = (lat - src["latitude"]) ** 2 + (
        (lon - src["longitude"]) * np.cos(np.deg2rad(src["latitude"]))
    ) ** 2
    src["i"], src["j"] = np.unravel_index(np.nanargmin(d), d.shape)
    emis = pd.read_csv(data / "SMARTCARB-CO2-emissions.csv", sep="\t", index_col=0)
    truth = float(emis.loc["2015-04-23 11:00:00", f"{SOURCE} (Mt/yr)"]) * MT_YR_TO_KG_S
    wind = wind_at(
        xr.open_dataset(data / "SMARTCARB_winds_2015042311.nc").load(),
        src["latitude"],
        src["longitude"],
    )
    co2_iso, no2_iso, info = isolated_plume(ds, int(src["i"]), int(src["j"]))
    print(
        f"{SOURCE}: truth {truth:.0f} kg/s at k = 1 (11 UTC); "
        f"wind ({wind[0]:.2f}, {wind[1]:.2f}) m/s; plume {info['pixels']} pixels, "
        f"mass kept vs a 3x wider ring {info['mass_kept_vs_wider_ring']:.3f}, "
        f"inside the window {info['mass_in_window']:.3f}"
    )
    g = Geometry(ds, src, wind)
    scenes = make_scenes(ds, co2_iso, no2_iso, n_seeds)
    o = ours(g, scenes, truth)
    t0 = time.perf_counter()
    dd = run_ddeq(data, scenes, wind)
    print(f"ddeq subprocess {time.perf_counter() - t0:.0f} s for {len(scenes)} scenes")
    tab = o.merge(dd, on=["k", "seed"], how="left")
    tab["fast_s"] = tab["det_s"] + tab["ime_s"] + tab["csf_s"]
    tab["all_s"] = tab["fast_s"] + tab["gauss_s"]
    if "ddeq_pre_s" in tab:
        tab["ddeq_s"] = tab["ddeq_pre_s"] + tab["ddeq_ime_s"] + tab["ddeq_csf_s"]
    times = {
        "ime": "fast_s",
        "csf": "fast_s",
        "gauss": "all_s",
        "ddeq_ime": "ddeq_s",
        "ddeq_csf": "ddeq_s",
    }
    rows = []
    for key in METHODS:
        for k in (*KS, "all"):
            sub = tab if k == "all" else tab[tab["k"] == k]
            t = sub[times[key]].median() if times[key] in sub else np.nan
            px = "ddeq_plume_px" if key.startswith("ddeq") else "mask_px"
            px = sub[px].median() if px in sub else np.nan
            st = stats(sub, key, boot=2000 if k == "all" else 0)
            rows.append({"method": key, "k": k, **st, "mask px": px, "s/scene": t})
    fmt = {"display.width": 220, "display.float_format": "{:.3f}".format, "display.max_rows": 200}
    with pd.option_context(*[x for kv in fmt.items() for x in kv]):
        print(pd.DataFrame(rows).to_string(index=False))
        both = []
        for d_key in ("ddeq_ime", "ddeq_csf"):
            if d_key not in tab:
                continue
            same = tab[tab[d_key].notna()]
            for key in (d_key, "ime", "csf", "gauss"):
                s = same[same[key].notna()] if key in same else same.iloc[:0]
                st = stats(s, key, boot=2000)
                both.append({"scenes": f"where {d_key} reports", "method": key, **st})
        print("\nWhere both report (the same scenes):")
        print(pd.DataFrame(both).to_string(index=False))
        print(
            "\nWhat-if (not openmrv's method): *_plane: background = plane through the "
            "non-mask pixels"
        )
        whatif = [
            {"method": key, "k": k, **stats(tab if k == "all" else tab[tab["k"] == k], key)}
            for key in ("ime_plane", "csf_plane")
            for k in (*KS, "all")
        ]
        print(pd.DataFrame(whatif).to_string(index=False))
        ratio = tab["ddeq_s"] / tab["fast_s"] if "ddeq_s" in tab else pd.Series(np.nan)
        ratio_all = tab["ddeq_s"] / tab["all_s"] if "ddeq_s" in tab else pd.Series(np.nan)
        t_ddeq = tab["ddeq_s"].median() if "ddeq_s" in tab else np.nan
        print(
            "\ntime per scene, median: openmrv detection + IME + CSF "
            f"{tab['fast_s'].median() * 1e3:.0f} ms, + Gaussian fit "
            f"{tab['all_s'].median() * 1e3:.0f} ms; ddeq detection..IME + CSF {t_ddeq:.2f} s"
        )
        print(
            f"ratio ddeq/openmrv per scene: median {ratio.median():.0f}x "
            f"(IQR {ratio.quantile(0.25):.0f}-{ratio.quantile(0.75):.0f}); "
            f"against openmrv with its Gaussian fit {ratio_all.median():.1f}x"
        )
        print(
            "\nDiagnosis (k = 1, noise-free XCO2; masks, backgrounds from 8 noisy draws; medians):"
        )
        print(diagnose(g, ds, co2_iso, no2_iso, truth).to_string())
    if fig:
        figure(tab, fig)
        print(f"figure: {fig}")
    return tab


if __name__ == "__main__":
    args = sys.argv[1:]
    n = int(args[args.index("--seeds") + 1]) if "--seeds" in args else 16
    main(n, args[args.index("--fig") + 1] if "--fig" in args else None)
