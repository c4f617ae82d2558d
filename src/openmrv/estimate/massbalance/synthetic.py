"""A synthetic XCH4 record with known emissions, to test the mass balance.

The enhancement of known emissions comes from openmrv's regional column transport model
(:mod:`openmrv.estimate.inversion.transport`, steady state in a uniform wind, with or
without its boundary-layer ventilation loss) on a fine grid, averaged to the record's
5 degree cells; a background field and Gaussian noise per cell and month are added. The
truth (emissions, enhancement) stays beside the record in :class:`SyntheticRecord`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from openmrv.constants import constant
from openmrv.estimate.inversion.transport import (
    Grid,
    mass_to_ppb,
    operator,
    steady_state,
)
from openmrv.estimate.inversion.transport import (
    parameter as transport_parameter,
)


@dataclass
class SyntheticRecord:
    """A synthetic monthly record and its truth."""

    #: monthly XCH4 [ppb] on the coarse grid (time, lat, lon)
    xch4: xr.DataArray
    #: the true emission [kt/yr]
    truth_kt: float
    #: the true enhancement on the coarse grid [ppb] (lat, lon)
    enhancement: np.ndarray


def enhancement_field(
    emissions_kg_s: np.ndarray,
    fine: Grid,
    u: float,
    v: float,
    factor: int,
    ventilation: bool = True,
) -> np.ndarray:
    """Steady column enhancement [ppb] of emissions on ``fine`` (ny, nx) in the uniform
    wind (u, v) [m/s], averaged (area-weighted) over blocks of ``factor`` x ``factor``
    cells: shape (ny / factor, nx / factor)."""
    tau = transport_parameter("ventilation_timescale") if ventilation else None
    mat = operator(fine, u, v, transport_parameter("eddy_diffusivity"), tau)
    mass = steady_state(mat, emissions_kg_s.reshape(fine.size, 1))[:, 0]
    ppb = mass_to_ppb(mass, fine).reshape(fine.shape)
    area = fine.area()
    ny, nx = fine.shape
    blocks = (ny // factor, factor, nx // factor, factor)
    num = (ppb * area).reshape(blocks).sum(axis=(1, 3))
    return num / area.reshape(blocks).sum(axis=(1, 3))


def synthetic_record(
    emissions_kg_s: np.ndarray,
    fine: Grid,
    factor: int,
    u: float,
    v: float,
    background: np.ndarray,
    years: list[int],
    noise_ppb: float,
    seed: int,
    ventilation: bool = True,
) -> SyntheticRecord:
    """Monthly record = background + the truth's enhancement + noise N(0, ``noise_ppb``)
    per cell and month, for every month of ``years``."""
    enh = enhancement_field(emissions_kg_s, fine, u, v, factor, ventilation)
    rng = np.random.default_rng(seed)
    time = pd.date_range(f"{years[0]}-01-01", f"{years[-1]}-12-01", freq="MS")
    data = background[None] + enh[None] + rng.normal(0, noise_ppb, (time.size, *enh.shape))
    lat = fine.lat.reshape(-1, factor).mean(axis=1)
    lon = fine.lon.reshape(-1, factor).mean(axis=1)
    da = xr.DataArray(
        data,
        dims=("time", "lat", "lon"),
        coords={"time": time + pd.Timedelta(days=14), "lat": lat, "lon": lon},
        attrs={"units": "ppb", "comment": "synthetic (OSSE): known emissions"},
    )
    truth = float(emissions_kg_s.sum() * constant("seconds_per_year", "s") / 1e6)
    return SyntheticRecord(da, truth, enh)
