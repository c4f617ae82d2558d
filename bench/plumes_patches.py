"""IME, CSF and the Gaussian plume fit on the 52 real TROPOMI plume patches against the
SRON catalogue (Schuit et al. 2023).

Prints, per method and source type, the distribution of (ours − catalogue) / catalogue and
the share of scenes within the catalogue's 1-sigma, and the time per scene. The catalogue's
lat/lon gives the source pixel; no constant is tuned per scene.

With the ddeq peer venv present (``$DDEQ_PYTHON``, default /tmp/ddeq_venv/bin/python),
the same patches also go through ddeq's own detection, IME and CSF in a subprocess
(``bench/_ddeq_patches.py``; openmrv never imports ddeq) and its summary is printed.

Run: PYTHONPATH=src python bench/plumes_patches.py [PATCH_DIR]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from _peers import peer_rows

from openmrv.errors import InputError
from openmrv.estimate.plumes.scene import quantify_scene
from openmrv.observe.scenes import scene_arrays

DEFAULT = Path(__file__).resolve().parents[2] / "shared/data/plumes/tropomi_patches"


def ddeq_summary(folder: Path, cat: pd.DataFrame, ours: pd.DataFrame) -> pd.DataFrame | None:
    """ddeq's IME and CSF on the same patches (its own detection, default settings):
    printed, and returned per patch (None when ddeq could not run)."""
    rows = peer_rows("_ddeq_patches.py", str(folder))
    if rows is None:
        return None
    d = pd.DataFrame(rows)
    d = d.merge(cat[["file", "rate_t_per_h", "rate_unc_t_per_h"]], on="file")
    for k in ("ddeq_ime", "ddeq_csf"):
        v = d[k] if k in d else pd.Series(np.nan, index=d.index)
        ok = v.notna()
        rel = (v[ok] - d.rate_t_per_h[ok]) / d.rate_t_per_h[ok]
        within = (v[ok] - d.rate_t_per_h[ok]).abs() <= d.rate_unc_t_per_h[ok]
        med = rel.median() if ok.any() else float("nan")
        share = within.mean() if ok.any() else float("nan")
        mine = ours[(ours.method == k[5:].upper()) & ours.file.isin(d.file[ok])]
        print(
            f"{k}: quantified {int(ok.sum())}/{len(d)}, median rel {med:+.2f}, "
            f"median |rel| {rel.abs().median():.2f}, within cat 1-sigma {share:.2f}; "
            f"openmrv {k[5:].upper()} on the same scenes: median rel {mine.rel.median():+.2f}, "
            f"median |rel| {mine.rel.abs().median():.2f}, within {mine.within.mean():.2f}"
        )
    reasons = d.get("error", pd.Series(dtype=str)).dropna().str[:60].value_counts()
    print("ddeq scenes without an estimate, by reason:")
    print(reasons.to_string())
    print(
        f"ddeq time per scene: median {d.seconds.median() * 1e3:.0f} ms (detection to "
        f"IME and CSF); openmrv (detection, IME, CSF and Gaussian fit): see above"
    )
    return d


def main(folder: Path = DEFAULT, peer: bool = True) -> pd.DataFrame:
    """Per patch and method: ours, sigma, catalogue, rel, within, seconds; with ``peer``,
    ddeq's per-patch results in ``attrs['ddeq']`` (None when it could not run)."""
    cat = pd.read_csv(folder / "catalogue.csv")
    rows = []
    for rec in cat.itertuples():
        t0 = time.perf_counter()
        sc = scene_arrays(folder / rec.file)
        try:
            row, _ = quantify_scene(sc, source_latlon=(rec.lat, rec.lon))
        except InputError as exc:  # e.g. every pixel fails QA: listed, not quantified
            print(f"{rec.file}: {exc}")
            row = {}
        dt = time.perf_counter() - t0
        t1 = time.perf_counter()  # detection, IME and CSF only: what ddeq runs
        try:
            quantify_scene(
                scene_arrays(folder / rec.file), (rec.lat, rec.lon), methods=("IME", "CSF")
            )
        except InputError:
            pass
        dt_fast = time.perf_counter() - t1
        for m in ("IME", "CSF", "Gaussian"):
            k = f"rate_{m.lower()}"
            rows.append(
                {
                    "file": rec.file,
                    "type": rec.source_type,
                    "method": m,
                    "ours": row.get(f"{k}_t_per_h", np.nan),
                    "sigma": row.get(f"{k}_sigma_t_per_h", np.nan),
                    "cat": rec.rate_t_per_h,
                    "cat_sigma": rec.rate_unc_t_per_h,
                    "seconds": dt,
                    "seconds_ime_csf": dt_fast,
                }
            )
    df = pd.DataFrame(rows)
    df["rel"] = (df.ours - df.cat) / df.cat
    df["within"] = (df.ours - df.cat).abs() <= df.cat_sigma
    out = []
    for (m, t), g in [
        *df.groupby(["method", "type"]),
        *(((m, "all"), g) for m, g in df.groupby("method")),
    ]:
        ok = g.dropna(subset=["ours"])
        out.append(
            {
                "method": m,
                "source type": t,
                "scenes": len(g),
                "quantified": len(ok),
                "median rel": ok.rel.median(),
                "p25": ok.rel.quantile(0.25),
                "p75": ok.rel.quantile(0.75),
                "median |rel|": ok.rel.abs().median(),
                "within cat 1-sigma": ok.within.mean(),
                "truth within own 1-sigma": ((ok.ours - ok.cat).abs() <= ok.sigma).mean(),
            }
        )
    table = pd.DataFrame(out)
    with pd.option_context("display.width", 160, "display.float_format", "{:.2f}".format):
        print(table.to_string(index=False))
    per_scene = df.groupby("file").seconds.first()
    fast = df.groupby("file").seconds_ime_csf.first()
    print(
        f"openmrv time per scene (read, detect, IME, CSF, Gaussian): median "
        f"{per_scene.median() * 1e3:.1f} ms, max {per_scene.max() * 1e3:.1f} ms; "
        f"read, detect, IME and CSF only: median {fast.median() * 1e3:.1f} ms"
    )
    df.attrs["ddeq"] = ddeq_summary(folder, cat, df) if peer else None
    return df


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT)
