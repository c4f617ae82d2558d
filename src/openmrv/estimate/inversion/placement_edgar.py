"""The EDGAR prior geography: the inventory's sector totals placed by EDGAR's maps.

An alternative to openmrv's own placement (:mod:`.statevector`, :mod:`.placement`:
facilities, carriers, land). For each prior sector (an IPCC code):

1. the EDGAR v8.0 sectors that map to it (``data/edgar_sectors.csv``: EDGAR's own
   IPCC 2006 codes) are summed: those whose code equals the sector's or lies below it
   (e.g. PRO_OIL 1.B.2.a and PRO_GAS 1.B.2.b for 1.B.2); where none does, the EDGAR
   sector whose code the sector lies below (a coarser map, used as it is);
2. the sum [tonnes per 0.1 degree cell] is regridded to the inversion grid
   conservatively by area: a fine cell's mass goes to the coarse cells in proportion to
   the area they share, on the sphere (area proportional to Δλ Δsin φ, so the weights
   separate into a longitude and a latitude factor); the mass of the fine cells inside
   the grid is kept exactly;
3. clipped to the country: cells whose centre lies outside its boundary (the land mask
   the inversion grid uses for its own placement) are set to zero;
4. scaled so that the sector's national total is the inventory's: EDGAR gives the
   spatial pattern only, never the amount.

A sector with no EDGAR map, or whose EDGAR map has no emission inside the country,
keeps openmrv's placement, and the placement table says so.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from openmrv.errors import InputError
from openmrv.estimate.inversion.transport import Grid

TABLE = Path(__file__).parent / "data" / "edgar_sectors.csv"
#: the label of this geography in the placement table and the outputs
LABEL = "EDGAR v8.0"


def sector_codes() -> dict[str, str]:
    """EDGAR sector -> IPCC 2006 code (``data/edgar_sectors.csv``)."""
    with TABLE.open() as fh:
        return {r["edgar_sector"]: r["ipcc_code"] for r in csv.DictReader(fh)}


def edgar_for(sector: str, available: list[str], codes: Mapping[str, str]) -> list[str]:
    """The EDGAR sectors among ``available`` whose maps place IPCC ``sector`` (rule 1)."""
    known = [e for e in available if e in codes]
    finer = [e for e in known if codes[e] == sector or codes[e].startswith(sector + ".")]
    if finer:
        return finer
    coarser = [e for e in known if sector.startswith(codes[e] + ".")]
    return sorted(coarser, key=lambda e: -len(codes[e]))[:1]


def overlap_weights(fine_edges: np.ndarray, coarse_edges: np.ndarray) -> np.ndarray:
    """W[i, j]: the share of fine interval j that lies in coarse interval i (1-D, edges
    ascending; a fine interval partly outside keeps only its inside share)."""
    lo = np.maximum(coarse_edges[:-1, None], fine_edges[None, :-1])
    hi = np.minimum(coarse_edges[1:, None], fine_edges[None, 1:])
    return np.clip(hi - lo, 0.0, None) / np.diff(fine_edges)[None, :]


def _edges(centres: np.ndarray, width: float) -> np.ndarray:
    return np.concatenate([centres - width / 2, [centres[-1] + width / 2]])


def regrid_mass(mass: xr.DataArray, grid: Grid) -> np.ndarray:
    """Regrid a mass per cell (latitude, longitude; regular, ascending) onto ``grid``,
    conservatively by area on the sphere (rule 2). Same unit as ``mass``, per coarse cell."""
    la, lo = mass["latitude"].values, mass["longitude"].values
    if la.size < 2 or lo.size < 2:
        raise InputError("the EDGAR map covers fewer than two cells of the inversion domain")
    dla, dlo = float(la[1] - la[0]), float(lo[1] - lo[0])
    sin = lambda deg: np.sin(np.radians(np.clip(deg, -90.0, 90.0)))  # noqa: E731
    wy = overlap_weights(sin(_edges(la, dla)), sin(_edges(grid.lat, grid.dlat)))
    wx = overlap_weights(_edges(lo, dlo), _edges(grid.lon, grid.dlon))
    return wy @ mass.values @ wx.T


def edgar_fields(
    grid: Grid,
    totals: Mapping[str, float],
    maps: Mapping[str, xr.DataArray],
    land: np.ndarray,
    year: int,
) -> tuple[dict[str, np.ndarray], pd.DataFrame]:
    """The prior of each sector placed by EDGAR (rules 1-4).

    Parameters
    ----------
    grid, land
        The inversion grid and its country mask (ny, nx), True inside the country.
    totals
        The inventory's national total of each sector [kg/s], keyed by IPCC code.
    maps
        EDGAR sector code -> its map [tonnes per cell per year] over the domain
        (:func:`openmrv.observe.edgar.read_edgar_sector`).
    year
        The year of the maps (for the placement table).

    Returns
    -------
    fields, table
        ``fields``: sector -> field [kg/s per cell] summing to the sector's total, for
        the sectors EDGAR places; ``table``: one row per sector (sector, edgar_sectors,
        edgar_in_country_t, edgar_in_domain_t, method).
    """
    codes = sector_codes()
    land = np.asarray(land, bool)
    fields, rows = {}, []
    placed_by = "area-conservative, clipped to the country, scaled to the inventory total"
    for sector, q in totals.items():
        use = edgar_for(sector, list(maps), codes)
        row = {"sector": sector, "edgar_sectors": "+".join(use)}
        row.update(edgar_in_country_t=0.0, edgar_in_domain_t=0.0)
        if not use:
            rows.append({**row, "method": f"openmrv (no {LABEL} map of this sector in the cache)"})
            continue
        coarse = sum(regrid_mass(maps[e], grid) for e in use)
        inside = np.where(land, coarse, 0.0)
        row.update(edgar_in_country_t=float(inside.sum()), edgar_in_domain_t=float(coarse.sum()))
        if row["edgar_in_country_t"] <= 0.0:
            rows.append({**row, "method": f"openmrv ({LABEL} has no emission in the country)"})
            continue
        fields[sector] = float(q) * inside / inside.sum()
        rows.append({**row, "method": f"{LABEL} {'+'.join(use)} {year}: {placed_by}"})
    return fields, pd.DataFrame(rows)
