"""IME and CSF on the 52 real TROPOMI plume patches against the SRON catalogue (Schuit et al. 2023).

Prints, per method and source type, the distribution of (ours − catalogue) / catalogue and
the share of scenes within the catalogue's 1-sigma, and the time per scene. The catalogue's
lat/lon gives the source pixel; no constant is tuned per scene.

Run: PYTHONPATH=src python bench/plumes_patches.py [PATCH_DIR]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from openmrv.errors import InputError
from openmrv.plumes_cli import quantify_scene, scene_arrays

DEFAULT = Path(__file__).resolve().parents[2] / "shared/data/plumes/tropomi_patches"


def main(folder: Path = DEFAULT) -> pd.DataFrame:
    cat = pd.read_csv(folder / "catalogue.csv")
    rows = []
    for rec in cat.itertuples():
        t0 = time.perf_counter()
        sc = scene_arrays(folder / rec.file)
        try:
            res = quantify_scene(sc, source_latlon=(rec.lat, rec.lon))
        except InputError as exc:  # e.g. every pixel fails QA: listed, not quantified
            print(f"{rec.file}: {exc}")
            res = [
                {"method": m, "rate_t_per_h": np.nan, "rate_sigma_t_per_h": np.nan}
                for m in ("IME", "CSF")
            ]
        dt = time.perf_counter() - t0
        for r in res:
            rows.append(
                {
                    "file": rec.file,
                    "type": rec.source_type,
                    "method": r["method"],
                    "ours": r["rate_t_per_h"],
                    "sigma": r["rate_sigma_t_per_h"],
                    "cat": rec.rate_t_per_h,
                    "cat_sigma": rec.rate_unc_t_per_h,
                    "seconds": dt,
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
            }
        )
    table = pd.DataFrame(out)
    with pd.option_context("display.width", 160, "display.float_format", "{:.2f}".format):
        print(table.to_string(index=False))
    per_scene = df.groupby("file").seconds.first()
    print(
        f"time per scene: median {per_scene.median() * 1e3:.1f} ms, "
        f"max {per_scene.max() * 1e3:.1f} ms"
    )
    return df


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT)
