"""Region selection: bounding box, ISO3 country (Natural Earth 1:110m polygons), polygon file.

Point-in-polygon is the even-odd ray-crossing rule, vectorised over points;
polygons are GeoJSON-style rings of (longitude, latitude) [degree], holes included.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache
from importlib.resources import files
from pathlib import Path

import numpy as np
import xarray as xr

from openmrv.errors import InputError, ObservationError

_COUNTRIES = "ne_110m_admin0_countries.geojson"
Ring = np.ndarray  # (n, 2): longitude, latitude
Polygon = list[Ring]  # exterior ring then holes
Region = str | Path | tuple[float, float, float, float]


def points_in_ring(lon: np.ndarray, lat: np.ndarray, ring: Ring) -> np.ndarray:
    """Whether each point lies inside a closed ring (even-odd rule).

    Parameters
    ----------
    lon, lat
        Points [degree], same shape.
    ring
        Vertices (n, 2) as (longitude, latitude) [degree]; closed or not.

    Returns
    -------
    numpy.ndarray
        Boolean, the shape of ``lon``.
    """
    x = np.asarray(lon, dtype=float)
    y = np.asarray(lat, dtype=float)
    inside = np.zeros(x.shape, dtype=bool)
    xs, ys = ring[:, 0], ring[:, 1]
    xp, yp = np.roll(xs, 1), np.roll(ys, 1)
    for x1, y1, x2, y2 in zip(xs, ys, xp, yp, strict=True):
        if y1 == y2:
            continue
        crosses = (y1 > y) != (y2 > y)
        xint = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
        inside ^= crosses & (x < xint)
    return inside


def points_in_polygons(lon: np.ndarray, lat: np.ndarray, polygons: Sequence[Polygon]) -> np.ndarray:
    """Whether each point lies in any of the polygons (holes excluded)."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    out = np.zeros(lon.shape, dtype=bool)
    for rings in polygons:
        ext = rings[0]
        box = (
            (lon >= ext[:, 0].min())
            & (lon <= ext[:, 0].max())
            & (lat >= ext[:, 1].min())
            & (lat <= ext[:, 1].max())
        )
        if not box.any():
            continue
        idx = np.flatnonzero(box)
        hit = points_in_ring(lon[idx], lat[idx], ext)
        for hole in rings[1:]:
            hit &= ~points_in_ring(lon[idx], lat[idx], hole)
        out[idx[hit]] = True
    return out


def _polygons(geometry: dict) -> list[Polygon]:
    kind = geometry.get("type")
    coords = geometry.get("coordinates")
    if kind == "Polygon":
        return [[np.asarray(r, dtype=float)[:, :2] for r in coords]]
    if kind == "MultiPolygon":
        return [[np.asarray(r, dtype=float)[:, :2] for r in poly] for poly in coords]
    raise InputError(f"geometry type '{kind}'; expected Polygon or MultiPolygon")


@cache
def _country_table() -> dict[str, tuple[str, list[Polygon]]]:
    text = (files("openmrv.observe") / "data" / _COUNTRIES).read_text()
    out = {}
    for feat in json.loads(text)["features"]:
        props = feat["properties"]
        out[props["iso3"]] = (props["name"], _polygons(feat["geometry"]))
    return out


def country_codes() -> list[str]:
    """The ISO3 codes of the packaged country polygons (Natural Earth 1:110m)."""
    return sorted(_country_table())


def country_names() -> dict[str, str]:
    """Lower-case country name -> ISO3 code, of the packaged Natural Earth 1:110m table."""
    return {name.lower(): code for code, (name, _) in _country_table().items()}


def country_polygons(iso3: str) -> list[Polygon]:
    """The packaged polygons of a country by ISO 3166 alpha-3 code (e.g. ``"TKM"``)."""
    table = _country_table()
    code = iso3.upper()
    if code not in table:
        raise InputError(
            f"unknown ISO3 country code '{iso3}' (Natural Earth 1:110m holds {len(table)}, "
            f"e.g. {', '.join(sorted(table)[:8])} ...)",
            field="region",
        )
    return table[code][1]


def read_polygon_file(path: str | Path) -> list[Polygon]:
    """Polygons from a GeoJSON file (FeatureCollection, Feature or geometry)."""
    path = Path(path)
    try:
        obj = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read a GeoJSON polygon file: {exc}", file=path) from exc
    feats = obj.get("features") or [obj]
    polys: list[Polygon] = []
    for feat in feats:
        geom = feat.get("geometry", feat)
        try:
            polys.extend(_polygons(geom))
        except InputError as exc:
            raise InputError(exc.message, file=path) from exc
    return polys


def region_mask(lon: np.ndarray, lat: np.ndarray, region: Region) -> np.ndarray:
    """Which points lie in a region.

    Parameters
    ----------
    lon, lat
        Points [degree].
    region
        An ISO3 code (``"TKM"``), a bounding box ``(lon_min, lat_min, lon_max, lat_max)``
        [degree], or the path of a GeoJSON polygon file.

    Returns
    -------
    numpy.ndarray
        Boolean mask.
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    if isinstance(region, tuple):
        if len(region) != 4:
            raise InputError(
                f"bounding box {region}: expected (lon_min, lat_min, lon_max, lat_max)"
            )
        w, s, e, n = (float(v) for v in region)
        if not (w < e and s < n):
            raise InputError(f"bounding box {region}: need lon_min < lon_max and lat_min < lat_max")
        return (lon >= w) & (lon <= e) & (lat >= s) & (lat <= n)
    if isinstance(region, Path) or (isinstance(region, str) and region.endswith("json")):
        return points_in_polygons(lon, lat, read_polygon_file(region))
    if isinstance(region, str):
        return points_in_polygons(lon, lat, country_polygons(region))
    raise InputError(f"region {region!r}: expected an ISO3 code, a bounding box or a GeoJSON file")


def select_region(soundings: xr.Dataset, region: Region) -> xr.Dataset:
    """The soundings whose footprint centre lies in ``region`` (see :func:`region_mask`)."""
    if "latitude" not in soundings:
        raise ObservationError("soundings have no latitude/longitude")
    mask = region_mask(soundings["longitude"].values, soundings["latitude"].values, region)
    return soundings.isel(sounding=np.flatnonzero(mask))


def parse_region(text: str) -> Region:
    """A command-line region: ``TKM``, ``"52,35,67,43"`` (a bounding box) or a ``.geojson`` path."""
    if "," in text:
        parts = text.split(",")
        try:
            values = tuple(float(p) for p in parts)
        except ValueError as exc:
            raise InputError(
                f"region '{text}': a bounding box is lon_min,lat_min,lon_max,lat_max"
            ) from exc
        if len(values) != 4:
            raise InputError(f"region '{text}': a bounding box has 4 numbers")
        return values  # type: ignore[return-value]
    if text.lower().endswith((".json", ".geojson")):
        return Path(text)
    return text
