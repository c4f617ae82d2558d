"""Results by region (admin-1: province, state, velayat): the inventory allocated by its
spatial proxies, the plume evidence and inversion totals per region.

- **Allocation**: each sub-category of the sector goes to its carriers by
  :func:`openmrv.spatial.carrier_shares` (``openmrv/data/spatial_proxies.csv``: fields by
  estimated ultimate recovery, plants equally, pipelines by length inside the country,
  distribution by land area); a carrier's region takes its share (a point: its region; a
  pipeline: its length in each region over its length in the country; land: the region's
  area over the country's). The regions' sum is the national total.
- **Plumes**: catalogue plumes by the region of their location: count, rates, how many
  are attributed to a register facility, and the annualised emission of the region's
  sites (:func:`openmrv.verify.annualise.annualise_sites` on the region's plumes; a lower bound, as
  the national row).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from openmrv.errors import InputError
from openmrv.spatial import LAND, LINE, POINT, carrier_shares
from openmrv.verify import annualise as an

#: the name of plumes (or cells) outside every region
OUTSIDE = "(outside regions)"


def allocate(
    parts: Mapping[str, float],
    facilities: pd.DataFrame,
    pipelines: pd.DataFrame,
    line_km: pd.DataFrame,
    areas_km2: Mapping[str, float],
) -> pd.DataFrame:
    """A sector's sub-categories allocated to regions.

    Parameters
    ----------
    parts
        Sub-category -> national emission (any unit; the result keeps it).
    facilities
        Register rows with facility_id, type, region and the proxies' weight columns.
    pipelines
        Operating pipelines: pipeline_id, length_km (inside the country).
    line_km
        Length of each pipeline in each region: pipeline_id, region, km.
    areas_km2
        Area of each region [km²].

    Returns
    -------
    DataFrame
        region, category, proxy, value (one row per region and sub-category).

    Raises
    ------
    InputError
        If a carrier facility lies outside every region (its ``region`` is empty).
    """
    regions = list(areas_km2)
    total_area = float(sum(areas_km2.values()))
    rows = []
    for cat, q in parts.items():
        shares, proxy = carrier_shares(cat, facilities, pipelines)
        by_region = dict.fromkeys(regions, 0.0)
        for kind, cid, share in shares.itertuples(index=False):
            if kind == POINT:
                reg = facilities.loc[facilities["facility_id"].astype(str) == cid, "region"]
                r = str(reg.iloc[0])
                if r not in by_region:
                    raise InputError(
                        f"facility {cid} lies outside every region (farther than the coastal "
                        "tolerance): correct its coordinates or the region polygons",
                        field="lat/lon",
                    )
                by_region[r] += share
            elif kind == LINE:
                part = line_km[line_km["pipeline_id"].astype(str) == cid]
                km = float(part["km"].sum())
                for r, k in zip(part["region"], part["km"], strict=True):
                    by_region[r] += share * float(k) / km
            elif kind == LAND:
                for r in regions:
                    by_region[r] += share * areas_km2[r] / total_area
        rows += [
            {"region": r, "category": cat, "proxy": proxy, "value": q * v}
            for r, v in by_region.items()
        ]
    return pd.DataFrame(rows, columns=["region", "category", "proxy", "value"])


def plume_summary(plumes: pd.DataFrame, region: np.ndarray, year: int) -> pd.DataFrame:
    """Catalogue plumes of ``year`` per region: plumes, plumes_attributed,
    plume_rate_sum_t_per_h, plume_rate_mean_t_per_h, plume_annual_kt,
    plume_annual_sigma_kt (region '' is :data:`OUTSIDE`)."""
    cols = [
        "region",
        "plumes",
        "plumes_attributed",
        "plume_rate_sum_t_per_h",
        "plume_rate_mean_t_per_h",
        "plume_annual_kt",
        "plume_annual_sigma_kt",
    ]
    if plumes.empty:
        return pd.DataFrame(columns=cols)
    t = plumes.assign(region=np.where(np.asarray(region) == "", OUTSIDE, region))
    t = t[pd.DatetimeIndex(t["time"]).year == year]
    rows = []
    for reg, g in t.groupby("region"):
        # the Monte Carlo over the region's sites (shared assumptions drawn once for all)
        annual = an.annualise_sites(an.site_statistics(g.reset_index(drop=True), year)).total
        rows.append(
            {
                "region": reg,
                "plumes": len(g),
                "plumes_attributed": int((g["facility_id"].fillna("") != "").sum()),
                "plume_rate_sum_t_per_h": float(g["rate_t_per_h"].sum()),
                "plume_rate_mean_t_per_h": float(g["rate_t_per_h"].mean()),
                "plume_annual_kt": float(annual["value_kt"]),
                "plume_annual_sigma_kt": float(annual["sigma_kt"]),
            }
        )
    return pd.DataFrame(rows, columns=cols)


def cell_weights(fractions: np.ndarray, nearest: np.ndarray, names: list[str]) -> np.ndarray:
    """Per-cell region shares that sum to 1 in every cell: the polygons' area fractions
    (n_regions, ny, nx) normalised per cell; a cell no polygon touches goes wholly to
    ``nearest`` (ny, nx: the region nearest its centre)."""
    tot = fractions.sum(0)
    out = np.where(tot > 0, fractions / np.where(tot > 0, tot, 1.0), 0.0)
    for k, name in enumerate(names):
        out[k][(tot <= 0) & (nearest == name)] = 1.0
    return out
