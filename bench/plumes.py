"""The plume benchmark in one command: openmrv beside ddeq on the same scenes, error
against truth (or the SRON catalogue) and time per scene, and the issue's goal per set.

Runs, in this order, each printing its detailed tables:
1. ``plumes_patches.py``: the 52 real TROPOMI patches against the SRON catalogue (ddeq's
   detection, IME and CSF on the same patches);
2. ``plumes_smartcarb.py``: the 7 power plants of the SMARTCARB CO2M swath against their
   true hourly emissions (overlapping plumes; ddeq quantifies 1-2);
3. ``plumes_isolated.py``: one realistic plume (Jänschwalde, COSMO-GHG) in 4 strengths x
   16 noise draws, the same noisy arrays for both tools (truth known, every scene
   quantified by both).

Then one summary table: per set and method, the scenes both tools quantified, the median
|error| of each on those scenes, and the time per scene of each (openmrv's detection, IME
and CSF against ddeq's detection to IME and CSF). Goal (issue 5): error no worse than
ddeq's, at least 10x faster per scene. Needs the ddeq peer venv (PEERS.md;
``$DDEQ_PYTHON``, default /tmp/ddeq_venv/bin/python) and ../shared/data for the patches.

Physical limit: a scene is 10^3-10^4 pixels; one pass of arithmetic over it takes
microseconds, so both tools spend their time in Python around the arithmetic; openmrv's
few milliseconds per scene are reading, detection and two integrals.

Run: PYTHONPATH=src python bench/plumes.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))

import plumes_isolated
import plumes_patches
import plumes_smartcarb


def _row(name, truth, method, ours, theirs, t_ours, t_theirs) -> dict:
    both = ours.notna() & theirs.notna()
    e_o, e_t = ours[both].abs().median(), theirs[both].abs().median()
    return {
        "set": name,
        "against": truth,
        "method": method,
        "both quantified": f"{int(both.sum())}/{len(ours)}",
        "openmrv only": int((ours.notna() & theirs.isna()).sum()),
        "median |err| openmrv": e_o,
        "median |err| ddeq": e_t,
        "error no worse": bool(e_o <= e_t) if both.any() else None,
        "s/scene openmrv": t_ours,
        "s/scene ddeq": t_theirs,
        "faster": t_theirs / t_ours,
    }


def main() -> pd.DataFrame:
    rows = []
    print("=" * 30, "1. 52 TROPOMI patches against SRON", "=" * 30)
    p = plumes_patches.main()
    d = p.attrs.get("ddeq")
    if d is not None:
        for m in ("IME", "CSF"):
            o = p[p["method"] == m].set_index("file")
            dd = d.set_index("file").reindex(o.index)
            theirs = (dd[f"ddeq_{m.lower()}"] - o["cat"]) / o["cat"]
            rows.append(
                _row(
                    "52 TROPOMI patches",
                    "SRON catalogue",
                    m,
                    o["rel"],
                    theirs,
                    float(o["seconds_ime_csf"].median()),
                    float(dd["seconds"].median()),
                )
            )
    print("=" * 30, "2. 7 SMARTCARB plants against truth", "=" * 30)
    s = plumes_smartcarb.main()
    n = len(s)
    t_ours = (s.attrs.get("read_s", 0.0) + s["ime_csf_s"].sum()) / n  # reading shared
    t_ddeq = (float(s["ddeq_pre_s"].max()) + s["ddeq_ime_s"].sum() + s["ddeq_csf_s"].sum()) / n
    for m in ("ime", "csf"):
        theirs = s.get(f"ddeq_{m}_err", pd.Series(np.nan, index=s.index))
        rows.append(
            _row("7 SMARTCARB plants", "truth", m.upper(), s[f"{m}_err"], theirs, t_ours, t_ddeq)
        )
    print("=" * 30, "3. one isolated plume x 64 noise draws against truth", "=" * 30)
    t = plumes_isolated.main()
    for m in ("ime", "csf"):
        ours = t[m] / t["truth"] - 1
        for dm in ("ddeq_ime", "ddeq_csf"):
            theirs = t[dm] / t["truth"] - 1 if dm in t else pd.Series(np.nan, index=t.index)
            rows.append(
                _row(
                    "isolated plume (64 scenes)",
                    "truth",
                    f"{m.upper()} vs ddeq {dm[5:].upper()}",
                    ours,
                    theirs,
                    float(t["fast_s"].median()),
                    float(t["ddeq_s"].median()) if "ddeq_s" in t else np.nan,
                )
            )
    table = pd.DataFrame(rows)
    print("=" * 30, "Goal: error no worse than ddeq's, >= 10x faster per scene", "=" * 30)
    with pd.option_context("display.width", 250, "display.float_format", "{:.3f}".format):
        print(table.to_string(index=False))
    return table


if __name__ == "__main__":
    main()
