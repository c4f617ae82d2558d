"""Super-emitter evidence against the inventory: attribution, annualisation, comparison.

- **Attribution**: each plume goes to the nearest facility of the register within the
  attribution radius; farther plumes stay unattributed. Where the plume table carries the
  instrument's pixel size (``pixel_km``), the radius is set by pixel size and wind
  (:func:`attribution_radius_km`: r = k x pixel + U x tau + register error); otherwise the
  fixed ``attribution_radius_km``. All parameters in ``data/plume_annualisation.csv``.
  The register term is each facility's own: where the register has a
  ``location_accuracy`` column, its class's location error
  (``openmrv/data/location_accuracy.csv``: an exact site a few km, a field centroid about
  half a field, a town centroid tens of km) replaces the one ``register_location_km``.
- **Sites**: :func:`site_of` (a facility, or a 0.2-degree cell for unattributed plumes);
  their annualisation is :mod:`openmrv.verify.annualise` (a Monte Carlo over every
  assumption, the shared ones drawn once per draw for all sites).
- **Comparison** (2019 Refinement Vol 1 Ch 6): plume sums capture only emitters above the
  detection limit (about 10 t/h for TROPOMI), so they are a *lower bound* on the category:
  the verdicts of ``data/verdicts.csv`` for ``lower_bound`` evidence apply
  (:func:`openmrv.verify.topdown.consistency_test`).
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from openmrv.constants import constant
from openmrv.spatial import location_error_km
from openmrv.verify.topdown import consistency_test

HOURS_PER_YEAR = 8760.0  # 365 days x 24 h (calendar arithmetic)
DAYS_PER_YEAR = 365.0


@cache
def assumptions() -> dict[str, dict[str, float]]:
    """The annualisation assumptions of ``data/plume_annualisation.csv``."""
    with (Path(__file__).parent / "data" / "plume_annualisation.csv").open() as fh:
        return {
            r["parameter"]: {
                k: float(r[k]) if r[k].strip() else float("nan") for k in ("value", "low", "high")
            }
            for r in csv.DictReader(fh)
        }


@cache
def _source_types() -> dict[str, str]:
    with (Path(__file__).parent / "data" / "plume_source_types.csv").open() as fh:
        return {r["label"].strip().lower(): r["category"] for r in csv.DictReader(fh)}


def ipcc_category_of(source_type: pd.Series) -> pd.Series:
    """The IPCC 2006 category of each catalogue source-type label
    (``data/plume_source_types.csv``: the labels of the SRON, UNEP IMEO MARS and Carbon
    Mapper catalogues, case-insensitive); '' where the label is empty, unclassified or
    not in the table."""
    table = _source_types()
    labels = source_type.fillna("").astype(str).str.strip().str.lower()
    return labels.map(lambda s: table.get(s, "")).astype(str)


def great_circle_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance [km] (haversine on the mean Earth radius of
    :mod:`openmrv.constants`, 6371.0088 km, IUGG/GRS80)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi, dl = p2 - p1, np.radians(lon2 - lon1)
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * (constant("R_earth", "m") / 1e3) * np.arcsin(np.sqrt(a))


def attribution_radius_km(pixel_km, wind_speed_m_s=None):
    """Attribution radius [km] from the instrument's ground pixel and the wind speed.

    r = k * pixel_km + U * tau / 1000 + d_register, with k = ``attribution_pixels``
    (source localisation, in pixels), tau = ``source_location_time_s`` (how far downwind
    the detected origin may lie: U * tau), d_register = ``register_location_km`` (the
    facility register's own location error); U missing or NaN: ``default_wind_speed_m_s``.
    The three terms are added (not in quadrature): a conservative reach. Broadcasts.

    Example: TROPOMI (7 km), U = 5 m/s: 2 * 7 + 5 * 1800 / 1000 + 10 = 33 km.
    """
    a = assumptions()
    pixel = np.asarray(pixel_km, dtype=float)
    if np.any(pixel < 0):
        raise ValueError("pixel size must not be negative")
    u = np.full_like(pixel, np.nan) if wind_speed_m_s is None else wind_speed_m_s
    u = np.asarray(u, dtype=float)
    u = np.where(np.isfinite(u), np.abs(u), a["default_wind_speed_m_s"]["value"])
    r = (
        a["attribution_pixels"]["value"] * pixel
        + u * a["source_location_time_s"]["value"] / 1000.0
        + a["register_location_km"]["value"]
    )
    return float(r) if np.ndim(r) == 0 else r


def plume_radii_km(plumes: pd.DataFrame, radius_km: float | None = None) -> np.ndarray:
    """Attribution radius [km] of each plume: ``radius_km`` if given; else from pixel size
    and wind where the table has ``pixel_km`` (and ``wind_speed_m_s``, or ``wind_u`` and
    ``wind_v``); else the fixed ``attribution_radius_km``."""
    fixed = assumptions()["attribution_radius_km"]["value"]
    n = len(plumes)
    if radius_km is not None:
        return np.full(n, float(radius_km))
    if "pixel_km" not in plumes:
        return np.full(n, fixed)
    pixel = pd.to_numeric(plumes["pixel_km"], errors="coerce").to_numpy(float)
    wind = np.full(n, np.nan)
    if "wind_speed_m_s" in plumes:
        wind = pd.to_numeric(plumes["wind_speed_m_s"], errors="coerce").to_numpy(float)
    if "wind_u" in plumes and "wind_v" in plumes:
        uv = np.hypot(
            pd.to_numeric(plumes["wind_u"], errors="coerce").to_numpy(float),
            pd.to_numeric(plumes["wind_v"], errors="coerce").to_numpy(float),
        )
        wind = np.where(np.isfinite(wind), wind, uv)
    ok = np.isfinite(pixel)
    r = np.full(n, fixed)
    if ok.any():
        r[ok] = attribution_radius_km(pixel[ok], wind[ok])
    return r


def attribute(
    plumes: pd.DataFrame, facilities: pd.DataFrame, radius_km: float | None = None
) -> pd.DataFrame:
    """Plumes with ``facility_id``, ``distance_km`` and the ``attribution_radius_km`` of
    the facility they go to (or, unattributed, of the nearest facility).

    A plume's radius for facility j is its :func:`plume_radii_km` with the register term
    ``register_location_km`` replaced by facility j's own location error where the
    register has ``location_accuracy`` (:func:`openmrv.spatial.location_error_km`; an
    empty class keeps ``register_location_km``). A plume goes to the nearest facility
    within that facility's radius; none within: unattributed. A given ``radius_km`` is
    used as it is, for every facility."""
    r = plume_radii_km(plumes, radius_km)
    out = plumes.copy()
    out["attribution_radius_km"] = r
    if facilities.empty or plumes.empty:
        out["distance_km"] = np.nan
        return out
    d = great_circle_km(
        out["lat"].to_numpy()[:, None],
        out["lon"].to_numpy()[:, None],
        facilities["lat"].to_numpy(float)[None, :],
        facilities["lon"].to_numpy(float)[None, :],
    )
    r_ij = np.repeat(r[:, None], len(facilities), axis=1)
    if radius_km is None and "location_accuracy" in facilities:
        default = assumptions()["register_location_km"]["value"]
        err = location_error_km(facilities["location_accuracy"], default)
        r_ij = r_ij - default + err[None, :]
    within = d <= r_ij
    rows = np.arange(len(out))
    best = np.where(within.any(axis=1), np.where(within, d, np.inf).argmin(axis=1), d.argmin(1))
    ids = facilities["facility_id"].to_numpy()[best]
    out["facility_id"] = np.where(within[rows, best], ids, "")
    out["distance_km"] = d[rows, best]
    out["attribution_radius_km"] = r_ij[rows, best]
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
