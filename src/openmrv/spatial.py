"""Where emissions are: the location classes of a facility register and the spatial
proxies that place an inventory category on its carriers (fields, plants, pipelines, land).

Two cited tables of ``data/`` (each row with its source, most "assumption (openmrv)" with
the reasoning):

- ``location_accuracy.csv``: what a register coordinate is (``exact`` site, oil or gas
  ``field_centroid``, ``town_centroid``; for lines ``route`` or ``coarse_route``) and the
  location error [km] each implies (plume attribution adds it to the radius);
- ``spatial_proxies.csv``: for each inventory category (longest code prefix wins), the
  carrier that holds it (a register ``type`` such as ``gas_field``, or ``pipeline``, or
  ``land``) and the weight that shares it among carriers (a register column such as
  ``eur_mmboe``, ``count`` for equal shares, ``length_km`` of pipeline inside the country,
  ``area_km2`` of land), with the weight of a carrier that lacks the column.

:func:`carrier_shares` turns one category into shares of carriers; the regional report and
the inversion prior both place the inventory through it, so they agree.
"""

from __future__ import annotations

import csv
from functools import cache
from importlib.resources import files

import numpy as np
import pandas as pd
import shapely

from openmrv.constants import constant
from openmrv.errors import InputError

#: a carrier kind: a register point, a pipeline, or land area
POINT, LINE, LAND = "point", "line", "land"


def _table(name: str) -> list[dict[str, str]]:
    with (files("openmrv") / "data" / name).open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@cache
def location_classes() -> dict[str, dict[str, object]]:
    """``data/location_accuracy.csv`` by class: applies_to ('point' or 'line'),
    register_location_km, low, high [km], source."""
    out: dict[str, dict[str, object]] = {}
    for r in _table("location_accuracy.csv"):
        out[r["location_accuracy"]] = {
            "applies_to": r["applies_to"],
            "register_location_km": float(r["register_location_km"]),
            "low": float(r["low"]),
            "high": float(r["high"]),
            "source": r["source"],
        }
    return out


def check_location_class(value: str, applies_to: str) -> str:
    """``value`` if it is a location class for ``applies_to`` ('point' or 'line'); else
    an :class:`InputError` listing the classes."""
    classes = [k for k, v in location_classes().items() if v["applies_to"] == applies_to]
    if value not in classes:
        raise InputError(
            f"location_accuracy '{value}' is not one of {', '.join(classes)} "
            "(openmrv/data/location_accuracy.csv)",
            field="location_accuracy",
        )
    return value


def location_error_km(classes: pd.Series, default_km: float) -> np.ndarray:
    """Location error [km] of each register row from its class; ``default_km`` where the
    class is empty (a register without the column)."""
    table = location_classes()
    return np.array(
        [
            float(table[c]["register_location_km"]) if c in table else float(default_km)
            for c in classes.fillna("").astype(str)
        ]
    )


@cache
def _proxies() -> tuple[dict[str, str], ...]:
    return tuple(_table("spatial_proxies.csv"))


def spatial_proxies() -> pd.DataFrame:
    """``data/spatial_proxies.csv``: category, carrier, weight, missing_weight, source,
    notes."""
    return pd.DataFrame(list(_proxies()))


def proxy_for(category: str) -> dict[str, str] | None:
    """The proxy row whose category is the longest prefix of ``category`` (code parts,
    so 1.B.2.b matches 1.B.2.b.iii.4 but not 1.B.2.bx); None if none applies."""
    best = None
    for r in _proxies():
        c = r["category"]
        if (category == c or category.startswith(c + ".")) and (
            best is None or len(c) > len(best["category"])
        ):
            best = r
    return best


def carrier_shares(
    category: str, facilities: pd.DataFrame, pipelines: pd.DataFrame
) -> tuple[pd.DataFrame, str]:
    """Shares of ``category`` on its carriers.

    Parameters
    ----------
    category
        Inventory category code (e.g. ``1.B.2.b.iii.4``).
    facilities
        Register rows with ``facility_id``, ``type`` and the weight column the proxy names.
    pipelines
        Pipelines to use (already filtered to those operating) with ``pipeline_id`` and
        ``length_km`` (inside the country).

    Returns
    -------
    shares, proxy
        DataFrame (kind: 'point', 'line' or 'land'; id; share, summing to 1) and a text
        naming the proxy used. Without a proxy row, or without any carrier of the named
        kind, the category goes to land (uniform per area), and the text says so.
    """
    row = proxy_for(category)
    if row is None:
        return _land(), "land area (no proxy row for the category)"
    carrier, weight = row["carrier"], row["weight"]
    if carrier == LAND:
        return _land(), f"land area ({row['category']}: {carrier} by {weight})"
    if carrier == "pipeline":
        if pipelines.empty:
            return _land(), f"land area (no pipeline for {row['category']})"
        w = pipelines["length_km"].to_numpy(float)
        ids, kind = pipelines["pipeline_id"].astype(str).to_numpy(), LINE
    else:
        sel = (
            facilities[facilities["type"].astype(str) == carrier] if len(facilities) else facilities
        )
        if sel.empty:
            return _land(), f"land area (no {carrier} in the register for {row['category']})"
        if weight == "count":
            w = np.ones(len(sel))
        else:
            if weight not in sel:
                raise InputError(
                    f"the spatial proxy of {row['category']} weighs {carrier} by '{weight}', "
                    "a column the facility register lacks; add it (may be empty per row)",
                    field=weight,
                )
            w = pd.to_numeric(sel[weight], errors="coerce").to_numpy(float)
            fill = float(row["missing_weight"]) if row["missing_weight"] else np.nan
            w = np.where(np.isfinite(w) & (w > 0), w, fill)
            if not np.all(np.isfinite(w)):
                w = np.ones(len(sel))  # no stated weight for the missing: equal shares
        ids, kind = sel["facility_id"].astype(str).to_numpy(), POINT
    if not np.all(w >= 0) or w.sum() <= 0:
        return _land(), f"land area (no positive {weight} for {row['category']})"
    shares = pd.DataFrame({"kind": kind, "id": ids, "share": w / w.sum()})
    return shares, f"{carrier} by {weight} ({row['category']})"


def _land() -> pd.DataFrame:
    return pd.DataFrame({"kind": [LAND], "id": ["land"], "share": [1.0]})


def path_length_km(lon: np.ndarray, lat: np.ndarray) -> float:
    """Length [km] of a path through the given vertices [degree]: great circles between
    consecutive vertices on the mean Earth radius (:mod:`openmrv.constants`)."""
    lon, lat = np.radians(np.asarray(lon, float)), np.radians(np.asarray(lat, float))
    if lon.size < 2:
        return 0.0
    dphi, dl = np.diff(lat), np.diff(lon)
    a = np.sin(dphi / 2) ** 2 + np.cos(lat[:-1]) * np.cos(lat[1:]) * np.sin(dl / 2) ** 2
    r_km = constant("R_earth", "m") / 1e3
    return float((2 * r_km * np.arcsin(np.sqrt(np.clip(a, 0, 1)))).sum())


@cache
def geography_parameter(name: str) -> float:
    """A parameter of ``data/geography_parameters.csv`` (value in its stated unit)."""
    for r in _table("geography_parameters.csv"):
        if r["parameter"] == name:
            return float(r["value"])
    raise KeyError(f"{name!r} is not in openmrv/data/geography_parameters.csv")


def line_length_km(geom, step_deg: float = 0.05) -> float:
    """Length [km] of a shapely (multi)line or of the lines of a collection (points and
    polygons count 0): great circles between vertices after densifying to ``step_deg``
    degrees, so straight segments of a coarse geometry are measured like traced ones."""
    if geom is None or geom.is_empty:
        return 0.0
    total = 0.0
    for part in shapely.get_parts(shapely.segmentize(geom, step_deg)):
        if part.geom_type == "LineString":
            xy = np.asarray(part.coords)
            total += path_length_km(xy[:, 0], xy[:, 1])
        elif part.geom_type in ("MultiLineString", "GeometryCollection"):
            total += line_length_km(part, step_deg)
    return total
