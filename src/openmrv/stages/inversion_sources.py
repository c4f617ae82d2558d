"""The inversion's input sources, as the case chooses them (``top_down: inversion:``
``wind_level``, ``winds_levels``, ``prior_geography``; docs/inversion.md): the winds the
transport model and its wind-error ensemble read, and the geography of the prior.

Wiring only: the boundary-layer mean is :func:`openmrv.observe.winds.
read_era5_pressure_levels`, the EDGAR placement :mod:`openmrv.estimate.inversion.
placement_edgar`. Files from an ``openmrv fetch`` cache are re-verified first.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from openmrv.errors import CaseError
from openmrv.estimate.inversion import placement_edgar
from openmrv.estimate.inversion.transport import Grid
from openmrv.fetch.cache import check_cached
from openmrv.fetch.discover import EDGAR_PRODUCT
from openmrv.observe.edgar import read_edgar_sector
from openmrv.observe.winds import LEVEL_BL, read_era5_pressure_levels, read_winds_file
from openmrv.settings import InversionSettings

FIELD = "top_down.inversion"


def case_winds(s: InversionSettings) -> tuple[xr.Dataset | None, str, str]:
    """The winds of the inversion, its label and its level.

    The boundary-layer-mean wind from ERA5 pressure levels where ``wind_level`` is
    ``boundary_layer`` and a pressure-level file is given or cached (with ``winds`` as
    its single-level file: the surface pressure, boundary-layer height, 2 m
    temperature); else the ``winds`` file as it is (10 m wind of an ERA5 single-level
    file, or u, v of a file that holds them); without winds the climatological rose.

    Returns
    -------
    winds, label, level
        ``u``, ``v`` [m/s] on (time, latitude, longitude) or None; the label written
        into the outputs ("winds <file>", "ERA5 boundary-layer-mean wind (<files>)");
        the level ("boundary-layer mean", "10m", "as given", "climatological").
    """
    if s.winds is None:
        return None, "climatological winds", "climatological"
    if s.wind_level == "boundary_layer" and s.winds_levels is not None:
        check_cached([s.winds, s.winds_levels], field=f"{FIELD}.winds_levels")
        w = read_era5_pressure_levels(s.winds_levels, s.winds)
        label = f"ERA5 boundary-layer-mean wind ({s.winds_levels.name} + {s.winds.name})"
        return w[["u", "v"]], label, LEVEL_BL
    check_cached([s.winds], field=f"{FIELD}.winds")
    w = read_winds_file(s.winds)  # in the reading process (observe.isolation)
    level = str(w.attrs.get("level", "as given"))
    return w, f"winds {s.winds.name}" + (" (10 m)" if level == "10m" else ""), level


def place_by_edgar(
    s: InversionSettings,
    grid: Grid,
    land: np.ndarray,
    totals: dict[str, float],
    fields: np.ndarray,
    placed: pd.DataFrame,
) -> str:
    """With ``prior_geography: edgar``, re-place each sector that the cached EDGAR maps
    cover (in place: ``fields`` [kg/s per cell], ``placed``'s method); returns the
    geography's label for the outputs ("openmrv" otherwise).

    Raises
    ------
    CaseError
        ``edgar`` chosen but the cache holds no EDGAR file of the prior's year.
    """
    if s.prior_geography != "edgar":
        return "openmrv"
    if not s.edgar:
        raise CaseError(
            f"prior_geography is 'edgar' but the case's cache holds no EDGAR v8.0 CH4 file "
            f"of {s.year}; run `openmrv fetch CASE --year {s.year} --products "
            f"{EDGAR_PRODUCT}` (EDGAR v8.0 covers 1970-2022) or choose 'openmrv'",
            field=f"{FIELD}.prior_geography",
        )
    check_cached(list(s.edgar.values()), field=f"{FIELD}.prior_geography")
    maps = {k: read_edgar_sector(f, grid.bounds) for k, f in s.edgar.items()}
    new, table = placement_edgar.edgar_fields(grid, totals, maps, land, s.year)
    for k, sec in enumerate(totals):
        i = placed.index[placed["sector"] == sec]
        how = table.loc[table["sector"] == sec, "method"].iloc[0]
        if sec in new:
            fields[k] = new[sec]
            placed.loc[i, ["method", "facilities", "facilities_off_grid"]] = [how, 0, 0]
        else:
            placed.loc[i, "method"] = placed.loc[i, "method"] + f"; {how}"
    return (
        f"{placement_edgar.LABEL} {s.year} for {len(new)} of {len(totals)} sectors "
        f"({', '.join(new) or 'none'}); openmrv for the others"
    )
