"""``openmrv invert``: the national inversion of a case, or an inversion of scale factors
from external (IMI-format) Jacobians."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from openmrv.cli._common import console, fail, run_with_progress, sub_app
from openmrv.errors import OpenMRVError

app = sub_app()


@app.command()
def invert(
    case: Annotated[
        Path | None,
        typer.Argument(
            help="Case folder: national inversion with the settings of case.yaml "
            "(top_down: inversion:). Leave out with --jacobians.",
            show_default=False,
        ),
    ] = None,
    jacobians: Annotated[
        Path | None,
        typer.Option("--jacobians", help="Directory of per-orbit IMI *_GCtoSatellite.npz files."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="With --jacobians: netCDF file to write (default inversion_result.nc); "
            "with CASE: run folder (default runs/<case>-inversion).",
        ),
    ] = None,
    prior_error: Annotated[
        float, typer.Option(help="Relative prior error of the emission elements (scale factors).")
    ] = 0.5,
    obs_error: Annotated[float, typer.Option(help="Observation error [ppb].")] = 15.0,
    gamma: Annotated[
        float,
        typer.Option(
            help="Regularisation parameter gamma; 0 chooses it so that J_A/n is closest to 1."
        ),
    ] = 1.0,
    bc_error: Annotated[
        float, typer.Option(help="Prior error of the boundary elements [ppb].")
    ] = 10.0,
    bc_elements: Annotated[
        int,
        typer.Option(help="Number of boundary-condition elements at the end of the state vector."),
    ] = 4,
) -> None:
    """Analytical Bayesian inversion: of a case (national, regional transport model), or
    from external (IMI-format) Jacobians with --jacobians.

    Writes xhat, S_post, A, dofs and the settings to a netCDF file (with CASE: the run
    folder's inversion/ with result.nc, totals.csv and maps).
    """
    if (case is None) == (jacobians is None):
        fail("give a CASE folder or --jacobians DIR (one of the two)")
    if case is not None:
        _invert_case(case, out)
        return
    _invert_jacobians(
        jacobians,
        out or Path("inversion_result.nc"),
        prior_error,
        obs_error,
        gamma,
        bc_error,
        bc_elements,
    )


def _invert_case(case: Path, out: Path | None) -> None:
    from openmrv.case import load_case
    from openmrv.stages.inventory import estimate_inventory
    from openmrv.stages.inversion import run_case_inversion

    out = out or Path("runs") / f"{case.resolve().name}-inversion"

    def work(case_dir: Path, out_dir: Path, step):
        c = load_case(case_dir)
        return run_case_inversion(c, estimate_inventory(c), out_dir, progress=step)

    res = run_with_progress(work, case, out)
    s = res.settings
    kind = "OSSE (synthetic soundings)" if res.osse else "real soundings"
    t = Table(title=f"{s.region} CH4 {s.year}: inversion, {kind}, {res.winds_label} [kt/yr]")
    cols = ["group", "prior", "prior 1σ", "posterior", "posterior 1σ", "DOFS"]
    if "truth_kt" in res.totals:
        cols.append("truth")
    for c in cols:
        t.add_column(c, justify="right")
    for r in res.totals.itertuples():
        cells = [
            r.group,
            f"{r.prior_kt:,.1f}",
            f"{r.prior_sigma_kt:,.1f}",
            f"{r.posterior_kt:,.1f}",
            f"{r.posterior_sigma_kt:,.1f}",
            f"{r.dofs:.2f}",
        ]
        if "truth_kt" in res.totals:
            cells.append(f"{r.truth_kt:,.1f}")
        t.add_row(*cells)
    console.print(t)
    console.print(
        f"{res.state.n} elements, {res.n_soundings:,} super-observations, DOFS "
        f"{res.posterior.dofs:.2f}, gamma {res.posterior.gamma:g}; written: "
        + ", ".join(str(f) for f in res.files[:2])
        + " and maps"
    )


def _invert_jacobians(
    jacobians: Path,
    out: Path,
    prior_error: float,
    obs_error: float,
    gamma: float,
    bc_error: float,
    bc_elements: int,
) -> None:
    import numpy as np

    from openmrv.estimate.inversion.scale_factors import scale_factor_inversion
    from openmrv.jacobians import read_imi_jacobians
    from openmrv.runfolder.cf import cf_ready

    try:
        chunks = read_imi_jacobians(jacobians)
        n = chunks[0].k.shape[1]
        post, g = scale_factor_inversion(
            ((c.k, c.dy) for c in chunks),
            n,
            prior_error,
            obs_error,
            gamma,
            bc_error,
            bc_elements,
        )
        n_emis = n - bc_elements
    except OpenMRVError as exc:
        fail(exc)
    i = np.arange(n)
    ds = post.to_dataset(
        i + 1, kind=("element", ["emission"] * n_emis + ["boundary"] * bc_elements)
    )
    ds.attrs.update(
        {
            "prior_error": prior_error,
            "obs_error_ppb": obs_error,
            "gamma": g,
            "bc_error_ppb": bc_error,
            "bc_elements": bc_elements,
            "n_obs": post.m,
            "J_A": post.j_a,
            "J_O": post.j_o,
            "files": ";".join(c.file.name for c in chunks),
            "method": "analytical Gaussian posterior (openmrv.estimate.inversion)",
        }
    )
    cf_ds, enc = cf_ready(ds, "inversion")
    cf_ds.to_netcdf(out, encoding=enc)
    console.print(
        f"{post.m} observations, {n} elements ({n_emis} emission, {bc_elements} "
        f"boundary); gamma {g:g}; DOFS {post.dofs:.3f}; J_A/n {post.j_a / n:.3f}; "
        f"written: {out}"
    )
