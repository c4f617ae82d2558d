"""A sector's prior on the grid by its sub-categories' carriers: fields, plants, pipelines
(line sources) and land.

Where the inventory splits a sector into sub-categories (1.B.2 into oil production,
refining, gas production, processing, transmission, distribution, ...), each sub-category
is placed on its carriers by the spatial proxy of ``openmrv/data/spatial_proxies.csv``
(:func:`openmrv.spatial.carrier_shares`): a register point puts its share in its cell; a
pipeline spreads its share along its line, each cell getting the share times the length of
line in it over the line's length (:func:`line_cells`, the intersection of the line with
the cell boxes); land spreads uniformly per area over the country's land cells. The field
sums to the sector total: nothing is lost off the grid (points or lines outside the grid
are dropped and their carriers' shares renormalised, and the table says how many).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import shapely

from openmrv.errors import InputError
from openmrv.estimate.inversion.transport import Grid
from openmrv.spatial import LAND, LINE, POINT, carrier_shares, line_length_km


def line_cells(grid: Grid, geom) -> tuple[np.ndarray, np.ndarray]:
    """The cells a line crosses (flat indices) and its length in each [km] (great
    circles on densified vertices); parts outside the grid are not counted."""
    w, s, e, n = grid.bounds
    inside = shapely.intersection(geom, shapely.box(w, s, e, n))
    if inside.is_empty:
        return np.zeros(0, int), np.zeros(0)
    x0, y0, x1, y1 = inside.bounds
    i0 = max(int(np.floor((y0 - s) / grid.dlat)), 0)
    i1 = min(int(np.floor((y1 - s) / grid.dlat)), grid.shape[0] - 1)
    j0 = max(int(np.floor((x0 - w) / grid.dlon)), 0)
    j1 = min(int(np.floor((x1 - w) / grid.dlon)), grid.shape[1] - 1)
    ii, jj = np.meshgrid(np.arange(i0, i1 + 1), np.arange(j0, j1 + 1), indexing="ij")
    ii, jj = ii.ravel(), jj.ravel()
    boxes = shapely.box(
        w + jj * grid.dlon, s + ii * grid.dlat, w + (jj + 1) * grid.dlon, s + (ii + 1) * grid.dlat
    )
    hit = shapely.intersects(boxes, inside)
    km = np.array([line_length_km(shapely.intersection(b, inside)) for b in boxes[hit]])
    keep = km > 0
    return (ii[hit] * grid.shape[1] + jj[hit])[keep], km[keep]


def proxy_field(
    grid: Grid,
    parts: Mapping[str, float],
    facilities: pd.DataFrame,
    pipelines: pd.DataFrame,
    land: np.ndarray,
) -> tuple[np.ndarray, pd.DataFrame]:
    """A sector's prior [kg/s per cell] from its sub-categories.

    Parameters
    ----------
    grid
        Model grid.
    parts
        Sub-category code -> emission [kg/s] (they sum to the sector total).
    facilities
        Register: facility_id, type, lat, lon [degree] and the proxies' weight columns.
    pipelines
        Operating pipelines: pipeline_id, geometry (shapely lines, already cut to the
        country), length_km (their length inside the country).
    land
        Boolean (ny, nx): the country's land cells.

    Returns
    -------
    field, rows
        (ny, nx) field and one row per sub-category (category, kg_s, proxy, carriers,
        carriers_off_grid).
    """
    land = np.asarray(land, bool)
    field = np.zeros(grid.shape)
    flat = field.reshape(-1)
    area = grid.area()
    rows = []
    for cat, q in parts.items():
        if not (np.isfinite(q) and q >= 0):
            raise InputError(f"sub-category {cat}: {q} kg/s must be finite and >= 0")
        shares, proxy = carrier_shares(cat, facilities, pipelines)
        cells, weights, off = [], [], 0
        for kind, cid, share in shares.itertuples(index=False):
            if kind == POINT:
                fac = facilities[facilities["facility_id"].astype(str) == cid].iloc[0]
                lat, lon = float(fac["lat"]), float(fac["lon"])
                w_, s_, e_, n_ = grid.bounds
                if not (s_ <= lat <= n_ and w_ <= lon <= e_):
                    off += 1
                    continue
                cells.append(grid.locate(np.array([lat]), np.array([lon])))
                weights.append(np.array([share]))
            elif kind == LINE:
                geom = pipelines.loc[pipelines["pipeline_id"].astype(str) == cid, "geometry"]
                c, km = line_cells(grid, geom.iloc[0])
                if km.sum() <= 0:
                    off += 1
                    continue
                cells.append(c)
                weights.append(share * km / km.sum())
            elif kind == LAND:
                if not land.any():
                    raise InputError("no land cells of the country on the grid", field="domain")
                idx = np.flatnonzero(land.reshape(-1))
                cells.append(idx)
                a = area.reshape(-1)[idx]
                weights.append(share * a / a.sum())
        if cells:
            c, wt = np.concatenate(cells), np.concatenate(weights)
            np.add.at(flat, c, q * wt / wt.sum())
        elif q > 0:  # every carrier off the grid: the land proxy keeps the mass
            idx = np.flatnonzero(land.reshape(-1))
            if idx.size == 0:
                raise InputError("no land cells of the country on the grid", field="domain")
            np.add.at(flat, idx, q * area.reshape(-1)[idx] / area.reshape(-1)[idx].sum())
            proxy += "; all carriers off the grid: land area"
        rows.append(
            {
                "category": cat,
                "kg_s": float(q),
                "proxy": proxy,
                "carriers": len(shares) - off,
                "carriers_off_grid": off,
            }
        )
    return field, pd.DataFrame(rows)
