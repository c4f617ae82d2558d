"""State vectors for national inversions: the prior by sector in space, and its elements.

The prior emission field of each IPCC sector (national total of the bottom-up inventory)
is laid on the model grid through the facility register (each facility of the sector gets
a share proportional to its weight, e.g. capacity, or an equal share) and, for sectors
without facilities, a uniform-per-area proxy over the country's land (:func:`sector_fields`).

The emitting cells are then grouped into state elements (:func:`build_state_vector`):

- ``hotspots``: cells holding at least ``hotspot_fraction`` of the national total stay
  elements of their own (native resolution), so a large facility is never averaged
  with its surroundings;
- the rest: one element per cell (``grid``), k-means clusters (``clusters``; Lloyd's
  algorithm, ``scipy.cluster.vq.kmeans2`` with k-means++ seeding from a fixed seed) on
  position [km] and log prior emission (cells of similar location and similar prior —
  hence similar expected sensitivity of the soundings — grouped together), or named
  regions given as a label map (``regions``);
- four boundary (background) elements, one per domain edge, in ppb.

Each emission element is a total emission [kg/s] whose spatial pattern within the element
is the prior's; its prior splits by sector in fixed proportions, so the matrix
G (sectors × elements) of sector fractions maps a state to sector totals: posterior sector
totals G x̂ with covariance G Ŝ Gᵀ (:meth:`StateVector.sector_matrix`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy.cluster.vq import kmeans2

from openmrv.constants import constant
from openmrv.errors import InputError
from openmrv.estimate.inversion.transport import EDGES, Grid
from openmrv.settings import DEFAULT_SEED

Mode = Literal["clusters", "grid", "regions"]
MODES: tuple[str, ...] = ("clusters", "grid", "regions")


def sector_fields(
    grid: Grid,
    totals: Mapping[str, float],
    facilities: pd.DataFrame,
    land: np.ndarray,
) -> tuple[np.ndarray, pd.DataFrame]:
    """Prior emissions of each sector on the grid [kg/s per cell].

    Parameters
    ----------
    grid
        Model grid.
    totals
        National total of each sector [kg/s], keyed by IPCC code (e.g. ``"1.B.2"``).
    facilities
        Register with columns lat, lon [degree], category (IPCC code) and optional
        weight (e.g. capacity; missing or non-positive weights count as equal shares).
        A facility belongs to the longest sector code its category starts with.
    land
        Boolean (ny, nx): cells of the country's land, for the uniform proxy.

    Returns
    -------
    fields, placed
        Array (n_sectors, ny, nx) in the order of ``totals``, and a table of how each
        sector was placed (sector, total_kg_s, method, facilities, facilities_off_grid).
    """
    land = np.asarray(land, bool)
    if land.shape != grid.shape:
        raise InputError(f"land mask of shape {land.shape}; the grid is {grid.shape}")
    sectors = list(totals)
    out = np.zeros((len(sectors), *grid.shape))
    area = grid.area()
    w_, s_, e_, n_ = grid.bounds
    fac = facilities.reset_index(drop=True)
    cats = fac["category"].astype(str) if len(fac) else pd.Series([], dtype=str)
    owner = []
    for c in cats:
        match = [s for s in sectors if c == s or c.startswith(s + ".")]
        owner.append(max(match, key=len) if match else None)
    rows = []
    for k, sec in enumerate(sectors):
        q = float(totals[sec])
        if q < 0 or not np.isfinite(q):
            raise InputError(f"sector {sec}: total {q} kg/s must be finite and >= 0")
        mine = fac[[o == sec for o in owner]]
        inside = (
            mine[mine["lat"].between(s_, n_) & mine["lon"].between(w_, e_)] if len(mine) else mine
        )
        if len(inside):
            w = pd.to_numeric(inside.get("weight"), errors="coerce") if "weight" in inside else None
            wt = np.ones(len(inside)) if w is None else w.fillna(0).to_numpy(float)
            if not np.all(wt > 0):
                wt = np.ones(len(inside))  # partial weights cannot be compared: equal shares
            cells = grid.locate(inside["lat"].to_numpy(), inside["lon"].to_numpy())
            np.add.at(out[k].reshape(-1), cells, q * wt / wt.sum())
            method = "facility register"
        else:
            if not land.any():
                raise InputError("no land cells of the country on the grid", field="domain")
            out[k] = np.where(land, area, 0.0) * q / area[land].sum()
            method = "uniform over country land"
        rows.append(
            {
                "sector": sec,
                "total_kg_s": q,
                "method": method,
                "facilities": len(inside),
                "facilities_off_grid": len(mine) - len(inside),
            }
        )
    return out, pd.DataFrame(rows)


@dataclass
class StateVector:
    """Emission elements (on grid cells) followed by boundary elements."""

    grid: Grid
    labels: np.ndarray  # (ny, nx): element of each cell, -1 for none
    names: list[str]
    kinds: list[str]
    sectors: list[str]
    prior_by_sector: np.ndarray  # (n_emission, n_sectors) [kg/s]
    fields: np.ndarray  # (n_sectors, ny, nx) prior [kg/s per cell]
    lat: np.ndarray = field(default_factory=lambda: np.zeros(0))
    lon: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @property
    def n_emission(self) -> int:
        return int(self.prior_by_sector.shape[0])

    @property
    def n(self) -> int:
        return len(self.names)

    @property
    def x_a(self) -> np.ndarray:
        """Prior state: element totals [kg/s], then boundary offsets 0 [ppb]."""
        return np.r_[self.prior_by_sector.sum(1), np.zeros(self.n - self.n_emission)]

    def patterns(self) -> np.ndarray:
        """Emission per unit element emission: (N cells, n_emission) [kg/s per kg/s]; each
        column sums to 1 — the tracer sources of the transport model."""
        total = self.fields.sum(0).ravel()
        lab = self.labels.ravel()
        out = np.zeros((self.grid.size, self.n_emission))
        cells = np.flatnonzero(lab >= 0)
        out[cells, lab[cells]] = total[cells]
        return out / out.sum(0, keepdims=True)

    def sector_matrix(self) -> np.ndarray:
        """G (n_sectors, n): the share of each element's prior in each sector; G x gives
        sector totals [kg/s] (boundary columns zero)."""
        frac = self.prior_by_sector / self.prior_by_sector.sum(1, keepdims=True)
        return np.c_[frac.T, np.zeros((len(self.sectors), self.n - self.n_emission))]

    def to_map(self, values: np.ndarray, per_area: bool = True) -> np.ndarray:
        """Spread element values [kg/s] back on the grid by the prior pattern (ny, nx);
        ``per_area`` divides by the cell area [kg s⁻¹ m⁻²]."""
        m = (self.patterns() @ np.asarray(values, float)[: self.n_emission]).reshape(
            self.grid.shape
        )
        return m / self.grid.area() if per_area else m

    def element_table(self) -> pd.DataFrame:
        """One row per element: name, kind, lat, lon, prior by sector [kg/s]."""
        df = pd.DataFrame({"element": self.names, "kind": self.kinds})
        df["lat"] = np.r_[self.lat, np.full(self.n - self.n_emission, np.nan)]
        df["lon"] = np.r_[self.lon, np.full(self.n - self.n_emission, np.nan)]
        pad = np.zeros((self.n - self.n_emission, len(self.sectors)))
        for k, s in enumerate(self.sectors):
            df[f"prior_{s}_kg_s"] = np.r_[self.prior_by_sector[:, k], pad[:, k]]
        return df


def _kmeans(features: np.ndarray, k: int, seed: int) -> np.ndarray:
    if k >= len(features):
        return np.arange(len(features))
    _, lab = kmeans2(features, k, minit="++", seed=np.random.default_rng(seed))
    return np.unique(lab, return_inverse=True)[1]  # drop empty clusters, keep order


def build_state_vector(
    grid: Grid,
    fields: np.ndarray,
    sectors: list[str],
    mode: Mode = "clusters",
    n_clusters: int = 150,
    hotspot_fraction: float = 0.01,
    region_labels: np.ndarray | None = None,
    region_names: list[str] | None = None,
    boundary: bool = True,
    seed: int = DEFAULT_SEED,
    emission_weight: float = 1.0,
) -> StateVector:
    """Group the emitting cells into state elements.

    Parameters
    ----------
    grid, fields, sectors
        Grid and prior by sector from :func:`sector_fields`.
    mode
        ``clusters`` (k-means), ``grid`` (one element per emitting cell) or ``regions``.
    n_clusters
        Number of k-means clusters (besides the hotspots).
    hotspot_fraction
        Cells with at least this share of the total prior are elements of their own
        (0 turns hotspots off).
    region_labels, region_names
        For ``regions``: (ny, nx) integer map (−1 outside every region) and the names.
    emission_weight
        Weight of the standardised log emission against the standardised position in
        the k-means features.
    """
    if mode not in MODES:
        raise InputError(f"state-vector mode '{mode}' unknown; use one of {', '.join(MODES)}")
    fields = np.asarray(fields, float)
    total = fields.sum(0)
    emitting = total > 0
    if not emitting.any():
        raise InputError("the prior has no emissions on the grid: nothing to invert")
    lab = np.full(grid.shape, -1)
    names, kinds = [], []
    hot = emitting & (total >= hotspot_fraction * total.sum()) if hotspot_fraction > 0 else None
    if mode == "regions":
        if region_labels is None or region_names is None:
            raise InputError("mode 'regions' needs region labels and names", field="regions")
        rl = np.asarray(region_labels, int)
        if rl.shape != grid.shape:
            raise InputError(f"region labels of shape {rl.shape}; the grid is {grid.shape}")
        hot = None
        for r, nm in enumerate(region_names):
            sel = emitting & (rl == r)
            if sel.any():
                lab[sel] = len(names)
                names.append(nm)
                kinds.append("region")
        if (emitting & (lab < 0)).any():
            lab[emitting & (lab < 0)] = len(names)
            names.append("rest of domain")
            kinds.append("region")
    else:
        jj, ii = np.nonzero(emitting & ~hot if hot is not None else emitting)
        if hot is not None:
            for j, i in zip(*np.nonzero(hot), strict=True):
                lab[j, i] = len(names)
                names.append(f"hotspot {grid.lat[j]:.2f}N {grid.lon[i]:.2f}E")
                kinds.append("hotspot")
        if jj.size:
            if mode == "grid":
                group = np.arange(jj.size)
            else:
                r_km = constant("R_earth", "m") / 1e3
                y = np.radians(grid.lat[jj]) * r_km
                x = np.radians(grid.lon[ii]) * r_km * np.cos(np.radians(grid.lat[jj]))
                le = np.log(total[jj, ii])
                f = np.c_[x, y, le]
                f = (f - f.mean(0)) / np.where(f.std(0) > 0, f.std(0), 1.0)
                f[:, 2] *= emission_weight
                group = _kmeans(f, n_clusters, seed)
            base = len(names)
            lab[jj, ii] = base + group
            for g in range(group.max() + 1):
                names.append(f"{mode[:-1] if mode == 'clusters' else 'cell'} {g + 1}")
                kinds.append("cluster" if mode == "clusters" else "cell")
    n_e = len(names)
    prior = np.zeros((n_e, len(sectors)))
    area = grid.area()
    lat = np.zeros(n_e)
    lon = np.zeros(n_e)
    la, lo = np.meshgrid(grid.lat, grid.lon, indexing="ij")
    for e in range(n_e):
        sel = lab == e
        prior[e] = fields[:, sel].sum(1)
        w = total[sel] if total[sel].sum() > 0 else area[sel]
        lat[e] = np.average(la[sel], weights=w)
        lon[e] = np.average(lo[sel], weights=w)
    if boundary:
        names += [f"boundary {e}" for e in EDGES]
        kinds += ["boundary"] * len(EDGES)
    return StateVector(grid, lab, names, kinds, list(sectors), prior, fields, lat, lon)
