"""Super-emitter evidence against the inventory: attribution, annualisation, comparison.

- **Attribution**: each plume goes to the nearest facility of the register within the
  attribution radius (``data/plume_annualisation.csv``); farther plumes stay unattributed.
- **Annualisation** (assumption, stated): a facility detected on n of the N days on which
  the satellite had a valid view emits, as a super-emitter, the mean detected rate for a
  fraction p = n/N of the year: E = mean rate x p x 8760 h. N = 365 x the valid-observation
  fraction of the table. Uncertainty: the rates' own 1-sigma and their spread (standard
  error of the mean), the binomial error of p, and the valid-fraction range, in quadrature.
- **Comparison** (2019 Refinement Vol 1 Ch 6): plume sums capture only emitters above the
  detection limit (about 10 t/h for TROPOMI), so they are a *lower bound* on the category:
  the inventory is flagged ``likely low`` only if the plume total's lower 95 % bound exceeds
  the inventory's upper 95 % bound; otherwise ``consistent``.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from openmrv.verify.topdown import Z95, consistency_test

HOURS_PER_YEAR = 8760.0  # 365 days x 24 h (calendar arithmetic)
DAYS_PER_YEAR = 365.0


@cache
def assumptions() -> dict[str, dict[str, float]]:
    """The annualisation assumptions of ``data/plume_annualisation.csv``."""
    with (Path(__file__).parent / "data" / "plume_annualisation.csv").open() as fh:
        return {
            r["parameter"]: {k: float(r[k]) for k in ("value", "low", "high")}
            for r in csv.DictReader(fh)
        }


def _distance_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance [km] (haversine, mean Earth radius 6371.0088 km, IUGG)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi, dl = p2 - p1, np.radians(lon2 - lon1)
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * 6371.0088 * np.arcsin(np.sqrt(a))


def attribute(
    plumes: pd.DataFrame, facilities: pd.DataFrame, radius_km: float | None = None
) -> pd.DataFrame:
    """Plumes with ``facility_id`` and ``distance_km`` of the nearest facility in reach."""
    r = assumptions()["attribution_radius_km"]["value"] if radius_km is None else radius_km
    out = plumes.copy()
    if facilities.empty or plumes.empty:
        out["distance_km"] = np.nan
        return out
    d = _distance_km(
        out["lat"].to_numpy()[:, None],
        out["lon"].to_numpy()[:, None],
        facilities["lat"].to_numpy(float)[None, :],
        facilities["lon"].to_numpy(float)[None, :],
    )
    best = d.argmin(axis=1)
    dist = d[np.arange(len(out)), best]
    ids = facilities["facility_id"].to_numpy()[best]
    out["facility_id"] = np.where(dist <= r, ids, "")
    out["distance_km"] = dist
    return out


def site_of(plumes: pd.DataFrame, cell_deg: float = 0.2) -> pd.Series:
    """Site of each plume: its facility, or for unattributed plumes a grid cell of
    ``cell_deg`` degrees (about 20 km), so that separate emitters are not lumped together."""
    cell = (
        "cell "
        + (np.floor(plumes["lat"] / cell_deg) * cell_deg).round(2).astype(str)
        + "N "
        + (np.floor(plumes["lon"] / cell_deg) * cell_deg).round(2).astype(str)
        + "E"
    )
    return plumes["facility_id"].where(plumes["facility_id"] != "", cell)


def annualise(plumes: pd.DataFrame, year: int) -> pd.DataFrame:
    """Annual super-emitter emissions per site for one year [kt CH4].

    A site is an attributed facility, or for unattributed plumes a 0.2-degree cell
    (:func:`site_of`). Columns: facility_id (the site), attributed, detections,
    days_detected, mean_rate_t_per_h, detection_frequency, annual_kt, annual_sigma_kt.
    """
    a = assumptions()["valid_observation_fraction"]
    sel = plumes[pd.DatetimeIndex(plumes["time"]).year == year]
    rows = []
    for fid, g in sel.groupby(site_of(sel)):
        n = int(pd.DatetimeIndex(g["time"]).normalize().nunique())  # days with a plume
        rates = g["rate_t_per_h"].to_numpy(float)
        mean = float(rates.mean())
        sd_mean = float(np.sqrt((g["rate_sigma_t_per_h"] ** 2).sum()) / len(g))
        if len(g) > 1:
            sd_mean = float(np.hypot(sd_mean, rates.std(ddof=1) / np.sqrt(len(g))))
        n_obs = DAYS_PER_YEAR * a["value"]
        p = min(n / n_obs, 1.0)
        sd_p = np.sqrt(max(p * (1 - p), 1.0 / n_obs) / n_obs)
        frac_rel = (a["high"] - a["low"]) / 2 / Z95 / a["value"]  # 95 % range -> 1-sigma
        annual = mean * p * HOURS_PER_YEAR / 1000.0
        rel = np.sqrt((sd_mean / mean) ** 2 + (sd_p / p) ** 2 + frac_rel**2) if mean else 0.0
        rows.append(
            {
                "facility_id": fid,
                "attributed": not str(fid).startswith("cell "),
                "detections": len(g),
                "days_detected": n,
                "mean_rate_t_per_h": mean,
                "detection_frequency": p,
                "annual_kt": annual,
                "annual_sigma_kt": annual * rel,
            }
        )
    return pd.DataFrame(rows).sort_values("annual_kt", ascending=False, ignore_index=True)


def consistency(
    bottom_up: float,
    bu_low: float,
    bu_high: float,
    top_down: float,
    td_sigma: float,
    lower_bound: bool = True,
) -> dict[str, object]:
    """Bottom-up against top-down (2019R Vol 1 Ch 6) with both uncertainties: one row of
    :func:`openmrv.verify.topdown.consistency_test` (split-normal bottom-up sigma).

    Parameters
    ----------
    bottom_up, bu_low, bu_high
        Inventory estimate and its 95 % interval.
    top_down, td_sigma
        Top-down estimate and its 1-sigma.
    lower_bound
        The top-down estimate covers only part of the category (super-emitters).
    """
    z, flag = consistency_test(
        bottom_up, bu_low, bu_high, top_down, td_sigma, "lower_bound" if lower_bound else "total"
    )
    return {
        "bottom_up": bottom_up,
        "bottom_up_low": bu_low,
        "bottom_up_high": bu_high,
        "top_down": top_down,
        "top_down_sigma": td_sigma,
        "z": float(z),
        "flag": flag,
    }
