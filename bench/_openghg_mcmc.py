"""Sample openghg-inversions' RHIME model on a shared problem (run in its own venv).

Usage: python _openghg_mcmc.py PROBLEM.npz OUT.npz PRIOR(normal|lognormal) SAMPLER DRAWS TUNE
CHAINS. The problem holds H (m, n) [ppb per unit scale factor], y (m,) [ppb], y_error
(m,) [ppb], prior_sigma (of x for 'normal', of ln x for 'lognormal'). The model is built
by ``hbmcmc.inversion_pymc.build_inferpymc_model`` with no boundary conditions and no
inferred model error (``no_model_error=True``): y ~ N(H x, y_error), so the posterior is
the same as openmrv's. Writes the posterior draws of x and prints one JSON line of
timings and (computed after the timed part, by ArviZ) the bulk ESS and R-hat of x.
"""

import json
import logging
import sys
import time
import warnings

import numpy as np


def main() -> None:
    logging.disable(logging.CRITICAL)
    warnings.simplefilter("ignore")
    src, out, prior, sampler = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
    draws, tune, chains = (int(a) for a in sys.argv[5:8])
    t0 = time.perf_counter()
    import xarray as xr
    from openghg_inversions.hbmcmc.inversion_pymc import build_inferpymc_model, sample

    t_import = time.perf_counter() - t0
    p = np.load(src)
    h, y, err = p["H"], p["y"], p["y_error"]
    m, n = h.shape
    sig = float(p["prior_sigma"])
    inputs = xr.Dataset(
        {
            "H": (("nx", "nmeasure"), h.T),
            "mf": ("nmeasure", y),
            "mf_error": ("nmeasure", err),
            "min_error": ("nmeasure", np.zeros(m)),
            "site_indicator": ("nmeasure", np.zeros(m, dtype=int)),
            "sigma_freq_index": ("nmeasure", np.zeros(m, dtype=int)),
        },
        coords={"nmeasure": np.arange(m), "nx": np.arange(n)},
    )
    if prior == "normal":
        xprior = {"pdf": "normal", "mu": 1.0, "sigma": sig}
    else:
        xprior = {"pdf": "lognormal", "mu": 0.0, "sigma": sig, "reparameterise": True}
    t1 = time.perf_counter()
    model = build_inferpymc_model(inputs, xprior=xprior, use_bc=False, no_model_error=True)
    t_build = time.perf_counter() - t1
    t2 = time.perf_counter()
    trace = sample(
        model,
        draws=draws,
        tune=tune,
        chains=chains,
        nuts_sampler=sampler,
        random_seed=1,
        progressbar=False,
        compute_convergence_checks=False,
    )
    t_sample = time.perf_counter() - t2
    x = trace.posterior["x"].values.reshape(-1, n)
    np.savez(out, x=x)
    import arviz as az  # diagnostics after the timed part: bulk ESS and rank R-hat of x

    ess = az.ess(trace, var_names=["x"], method="bulk")["x"].values
    rhat = az.rhat(trace, var_names=["x"])["x"].values
    print(
        json.dumps(
            {
                "import_s": t_import,
                "build_s": t_build,
                "sample_s": t_sample,
                "draws": x.shape[0],
                "ess_min": float(np.min(ess)),
                "ess_median": float(np.median(ess)),
                "rhat_max": float(np.max(rhat)),
            }
        )
    )


if __name__ == "__main__":
    main()
