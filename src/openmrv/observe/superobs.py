"""Super-observations: soundings averaged per grid cell and time window, with their error.

The error of a mean of P soundings follows Chen et al. (2023), as used in the
Integrated Methane Inversion (IMI):

.. math:: s(P) = \\sqrt{\\sigma_o^2 \\left(\\frac{1 - r}{P} + r\\right) + \\sigma_t^2}

with the retrieval error :math:`\\sigma_o`, the error correlation :math:`r` and the
error :math:`\\sigma_t` that averaging does not reduce. :math:`r` and
:math:`\\sigma_t` are read from ``data/superobs_error_chen2023.csv`` (with source).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from openmrv.constants import table_row, table_value
from openmrv.errors import ObservationError
from openmrv.observe.soundings import make_soundings

_TABLE = Path(__file__).parent / "data" / "superobs_error_chen2023.csv"


@dataclass(frozen=True)
class SuperObsParameters:
    """The constants of the super-observation error, with the table they come from."""

    r: float
    sigma_t: float
    source: str


def load_parameters() -> SuperObsParameters:
    """Read r [1] and sigma_t [ppb] from the packaged, cited table."""
    r = "r_retrieval_error_correlation"
    return SuperObsParameters(
        table_value(_TABLE, r, "1"),
        table_value(_TABLE, "sigma_t_transport_error", "ppb"),
        table_row(_TABLE, r)["source"],
    )


def superobs_error(
    sigma_o: np.ndarray | float,
    count: np.ndarray | float,
    r: float | None = None,
    sigma_t: float | None = None,
) -> np.ndarray:
    """Error of a super-observation of ``count`` soundings (Chen et al. 2023).

    Parameters
    ----------
    sigma_o
        Retrieval error of one sounding [ppb].
    count
        Number of soundings averaged, P >= 1 [1] (may be fractional).
    r
        Error correlation between soundings [1]; default from the packaged table (0.55).
    sigma_t
        Error not reduced by averaging [ppb]; default from the table (4.5 ppb).

    Returns
    -------
    numpy.ndarray
        s(P) [ppb].

    References
    ----------
    Chen, Z. et al. (2023), Atmos. Chem. Phys. 23, 5945-5967, doi:10.5194/acp-23-5945-2023.
    """
    if r is None or sigma_t is None:
        p = load_parameters()
        r = p.r if r is None else r
        sigma_t = p.sigma_t if sigma_t is None else sigma_t
    sigma_o = np.asarray(sigma_o, dtype=float)
    count = np.asarray(count, dtype=float)
    return np.sqrt(sigma_o**2 * ((1.0 - r) / count + r) + sigma_t**2)


def superobservations(
    soundings: xr.Dataset,
    *,
    resolution: tuple[float, float] = (0.25, 0.3125),
    origin: tuple[float, float] = (-90.0, -180.0),
    window: str = "1D",
    sigma_o: float | None = None,
    extra: tuple[str, ...] = (),
) -> xr.Dataset:
    """Average soundings per grid cell and time window.

    Parameters
    ----------
    soundings
        Screened soundings.
    resolution
        Cell size (latitude, longitude) [degree]; by default the GEOS-Chem 0.25 x 0.3125 grid.
    origin
        South-west corner of the grid (latitude, longitude) [degree].
    window
        Time window, a pandas frequency (``"1D"``: per UTC day).
    sigma_o
        Retrieval error of one sounding [ppb]; by default the mean ``xch4_uncertainty``
        of the soundings in the cell.
    extra
        Further per-sounding variables (dim ``sounding`` only) averaged the same way and
        returned under their names (e.g. ``bl_sensitivity``).

    Returns
    -------
    xarray.Dataset
        Soundings (one per cell and window): mean time, position and xch4;
        ``xch4_uncertainty`` = s(P); ``observation_count`` = P.
    """
    if soundings.sizes["sounding"] == 0:
        raise ObservationError("no soundings to average")
    lat = soundings["latitude"].values
    lon = soundings["longitude"].values
    frame = pd.DataFrame(
        {
            "i": np.floor((lat - origin[0]) / resolution[0]).astype(int),
            "j": np.floor((lon - origin[1]) / resolution[1]).astype(int),
            "w": pd.DatetimeIndex(soundings["time"].values).floor(window),
            "time": soundings["time"].values.astype("datetime64[ns]").astype("int64"),
            "latitude": lat,
            "longitude": lon,
            "xch4": soundings["xch4"].values,
            "sigma": soundings["xch4_uncertainty"].values,
            **{f"extra:{n}": soundings[n].values for n in extra},
        }
    )
    if sigma_o is not None:
        frame["sigma"] = sigma_o
    if frame["sigma"].isna().any():
        raise ObservationError("xch4_uncertainty is missing: pass sigma_o [ppb]")
    g = frame.groupby(["i", "j", "w"], sort=True)
    cols = ["time", "latitude", "longitude", "xch4", "sigma", *(f"extra:{n}" for n in extra)]
    mean = g[cols].mean()
    count = g.size().to_numpy()
    data = {
        "time": mean["time"].to_numpy().astype("datetime64[ns]"),
        "latitude": mean["latitude"].to_numpy(),
        "longitude": mean["longitude"].to_numpy(),
        "xch4": mean["xch4"].to_numpy(),
        "xch4_uncertainty": superobs_error(mean["sigma"].to_numpy(), count),
        "qa_value": np.ones(len(count)),
        "observation_count": count.astype(float),
    }
    extras = {n: mean[f"extra:{n}"].to_numpy() for n in extra}
    products = sorted(set(soundings["product"].values))
    versions = sorted(set(soundings["product_version"].values))
    out = make_soundings(
        data,
        product="superobs:" + "+".join(products),
        product_version="+".join(versions),
        source_file=f"{len(set(soundings['source_file'].values))} files",
        attrs={
            "superobs_resolution_deg": list(resolution),
            "superobs_window": window,
            "superobs_error": "Chen et al. (2023), doi:10.5194/acp-23-5945-2023",
        },
    )
    for n, v in extras.items():
        out[n] = ("sounding", v, dict(soundings[n].attrs))
    return out
