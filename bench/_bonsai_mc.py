"""Time bonsai-ipcc 0.5.3's Monte Carlo on Tier 1 methanol CO2 (run in bonsai's own venv).

Usage: python _bonsai_mc.py PRODUCTION_T REL_UNCERTAINTY REPEATS. Prints one JSON line.
bonsai-ipcc draws 1,000 values per parameter per sequence run (fixed in its code).
"""

import json
import logging
import sys
import time

import numpy as np


def main() -> None:
    logging.disable(logging.CRITICAL)
    t0 = time.perf_counter()
    import bonsai_ipcc
    import pandas as pd

    t_import = time.perf_counter() - t0
    ipcc = bonsai_ipcc.IPCC()
    pp, u, reps = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
    key = {"year": 2006, "region": "World", "product": "methanol"}
    pp_i = pd.DataFrame(
        [
            {**key, "property": p, "value": v, "unit": "t/yr"}
            for p, v in (
                ("def", pp),
                ("min", pp * (1 - u)),
                ("max", pp * (1 + u)),
                ("abs_min", 0.0),
                ("abs_max", float("inf")),
            )
        ]
    )
    ipcc.industry.chemical.parameter.pp_i = pp_i.set_index([*key, "property"])
    share = pd.DataFrame(
        [
            {**key, "activity": "csr_a", "property": p, "value": v, "unit": "%"}
            for p, v in (
                ("def", 100.0),
                ("min", 100.0),
                ("max", 100.0),
                ("abs_min", 0.0),
                ("abs_max", 100.0),
            )
        ]
    )
    ipcc.industry.chemical.parameter.pp_share_i_j = share.set_index([*key, "activity", "property"])
    seq = ipcc.industry.chemical.sequence
    t1 = time.perf_counter()
    for _ in range(reps):
        res = seq.tier1_co2_pp(
            year=2006,
            region="World",
            product="methanol",
            activity="csr_a",
            feedstocktype="natural_gas",
            uncertainty="monte_carlo",
        )
    dt = (time.perf_counter() - t1) / reps
    x = np.asarray(res.eco2_tier1.value, dtype=float)
    print(
        json.dumps(
            {
                "import_s": t_import,
                "seconds_per_run": dt,
                "draws_per_run": int(x.size),
                "mean": float(x.mean()),
                "p2.5": float(np.percentile(x, 2.5)),
                "p97.5": float(np.percentile(x, 97.5)),
            }
        )
    )


if __name__ == "__main__":
    main()
