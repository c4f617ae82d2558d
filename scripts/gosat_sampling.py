"""Rebuild the GOSAT row of src/openmrv/estimate/inversion/data/sampling.csv: the density of
QA-passed University of Leicester proxy soundings over the Turkmenistan box and their median
uncertainty, read with openmrv's own readers.

Run:  python scripts/gosat_sampling.py [DIR]
(default DIR: ../shared/data/satellite/gosat_uol_proxy_v7.2)
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from openmrv.observe.batch import read_file

BOX = (52.0, 35.0, 67.0, 43.0)  # lon_min, lat_min, lon_max, lat_max [degree]
R_KM = 6371.0088


def main() -> None:
    default = "../shared/data/satellite/gosat_uol_proxy_v7.2"
    root = Path(sys.argv[1] if len(sys.argv) > 1 else default)
    files = sorted(root.glob("*.nc"))
    if not files:
        sys.exit(f"no files in {root}")
    counts, sig = [], []
    for f in files:
        ds, _, _, err = read_file(f, region=BOX, qa=True)
        if err:
            sys.exit(f"{f}: {err}")
        counts.append(0 if ds is None else ds.sizes["sounding"])
        full, _, _, _ = read_file(f, qa=True)
        sig.append(full["xch4_uncertainty"].values)
    w, s, e, n = BOX
    area = R_KM**2 * np.radians(e - w) * (np.sin(np.radians(n)) - np.sin(np.radians(s)))
    rate = sum(counts) / len(files) / (area / 1e6)
    print(f"files {len(files)}, soundings in box per file {counts}, box area {area:,.0f} km2")
    print(f"density {rate:.2f} per day per 1e6 km2; median uncertainty "
          f"{np.median(np.concatenate(sig)):.1f} ppb")


if __name__ == "__main__":
    main()
