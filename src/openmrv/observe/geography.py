"""A country's regions (admin-1: provinces, states, velayats) as shapely polygons, and
where points, lines and grid cells fall among them.

The polygons come from a GeoJSON file (e.g. Natural Earth admin-1); a names table maps
the spelling of the file (``property`` of each feature, e.g. Natural Earth's ``name``
"Tashauz") to the name reported (``region``, e.g. "Dashoguz"), so a country's current
names are data, not code. Every geometric test is shapely's (GEOS): points in polygons
(:func:`shapely.contains_xy`), intersections of lines and cells with polygons.

- a point outside every polygon but within ``coastal_tolerance_km``
  (``openmrv/data/geography_parameters.csv``: the 12-nautical-mile territorial sea) of one
  belongs to the nearest region (offshore fields, coarse coastlines); farther: "";
- lengths are great circles between densified vertices (:func:`openmrv.spatial.
  line_length_km`); areas are those of the Lambert cylindrical equal-area projection
  (x = R λ, y = R sin φ), exact on the sphere.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import shape
from shapely.ops import nearest_points

from openmrv.constants import constant
from openmrv.errors import InputError
from openmrv.spatial import geography_parameter, line_length_km, path_length_km

NAMES_COLUMNS = ("property", "source_name", "region", "source", "notes")


@dataclass(frozen=True)
class Regions:
    """A country's regions: reported names, the names in the polygon file, geometries."""

    names: tuple[str, ...]
    source_names: tuple[str, ...]
    geometries: tuple
    file: Path | None = None

    def __len__(self) -> int:
        return len(self.names)

    @property
    def union(self):
        """All regions as one geometry (the country as the region file draws it)."""
        return shapely.union_all(list(self.geometries))


def _read_names(path: Path) -> list[dict[str, str]]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            header = tuple(reader.fieldnames or ())
            rows = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"cannot be read as UTF-8 CSV ({exc})", file=path) from None
    if header != NAMES_COLUMNS:
        raise InputError(
            f"header is {','.join(header)}; expected {','.join(NAMES_COLUMNS)}", file=path, row=1
        )
    for line, r in enumerate(rows, start=2):
        for col in ("property", "source_name", "region"):
            if not (r.get(col) or "").strip():
                raise InputError(f"{col} is empty", file=path, row=line, field=col)
    return rows


def read_regions(polygons: Path, names: Path) -> Regions:
    """The regions of a GeoJSON FeatureCollection, named through the names table.

    Raises
    ------
    InputError
        If the file is not GeoJSON, a feature is not a (Multi)Polygon or its geometry is
        invalid (with GEOS's reason), a feature's name has no row in the names table
        (unknown region), or a names row matches no feature.
    """
    rows = _read_names(names)
    try:
        features = json.loads(Path(polygons).read_text(encoding="utf-8"))["features"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(
            f"cannot be read as a GeoJSON FeatureCollection ({exc!r})", file=polygons
        ) from None
    lookup = {(r["property"], r["source_name"]): r["region"] for r in rows}
    used, out_names, out_src, out_geom = set(), [], [], []
    for i, feat in enumerate(features):
        props = feat.get("properties") or {}
        keys = [(p, str(props.get(p))) for p in {r["property"] for r in rows}]
        hit = [k for k in keys if k in lookup]
        if not hit:
            shown = ", ".join(f"{p}={v!r}" for p, v in keys)
            raise InputError(
                f"feature {i} ({shown}) is an unknown region: add a row for it to the names table",
                file=names,
            )
        try:
            geom = shape(feat["geometry"])
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InputError(f"feature {i}: bad geometry ({exc!r})", file=polygons) from None
        if geom.geom_type not in ("Polygon", "MultiPolygon"):
            raise InputError(
                f"feature {i} ({hit[0][1]}) is a {geom.geom_type}; regions are polygons",
                file=polygons,
            )
        if not geom.is_valid:
            raise InputError(
                f"feature {i} ({hit[0][1]}): invalid polygon ({shapely.is_valid_reason(geom)}); "
                "repair it (e.g. shapely.make_valid) before use",
                file=polygons,
            )
        used.add(hit[0])
        out_names.append(lookup[hit[0]])
        out_src.append(hit[0][1])
        out_geom.append(geom)
    missing = [f"{s} ({p})" for (p, s) in lookup if (p, s) not in used]
    if missing:
        raise InputError(
            f"names table rows match no polygon of {Path(polygons).name}: {', '.join(missing)}",
            file=names,
        )
    if not out_geom:
        raise InputError("holds no features", file=polygons)
    return Regions(tuple(out_names), tuple(out_src), tuple(out_geom), Path(polygons))


def region_of(regions: Regions, lon, lat, tolerance_km: float | None = None) -> np.ndarray:
    """The region of each point ('' when outside all, beyond the coastal tolerance)."""
    lon = np.atleast_1d(np.asarray(lon, float))
    lat = np.atleast_1d(np.asarray(lat, float))
    tol = geography_parameter("coastal_tolerance_km") if tolerance_km is None else tolerance_km
    out = np.full(lon.shape, "", dtype=object)
    for name, geom in zip(regions.names, regions.geometries, strict=True):
        inside = shapely.contains_xy(geom, lon, lat) & (out == "")
        out[inside] = name
    for i in np.flatnonzero(out == ""):
        pt = shapely.Point(lon[i], lat[i])
        dists = []
        for geom in regions.geometries:
            near = nearest_points(geom, pt)[0]
            dists.append(path_length_km([lon[i], near.x], [lat[i], near.y]))
        k = int(np.argmin(dists))
        if dists[k] <= tol:
            out[i] = regions.names[k]
    return out.astype(str)


def lengths_by_region(regions: Regions, geom) -> dict[str, float]:
    """Length [km] of a line inside each region (0 where it does not pass)."""
    out: dict[str, float] = dict.fromkeys(regions.names, 0.0)
    for name, poly in zip(regions.names, regions.geometries, strict=True):
        out[name] += line_length_km(shapely.intersection(geom, poly))
    return out


def _equal_area(geom):
    r_km = constant("R_earth", "m") / 1e3
    return shapely.transform(
        geom, lambda xy: np.c_[r_km * np.radians(xy[:, 0]), r_km * np.sin(np.radians(xy[:, 1]))]
    )


def area_km2(geom) -> float:
    """Area [km²] of a lon/lat polygon on the sphere (equal-area projection)."""
    return float(_equal_area(geom).area)


def areas_by_region(regions: Regions) -> dict[str, float]:
    """Area [km²] of each region."""
    out: dict[str, float] = dict.fromkeys(regions.names, 0.0)
    for name, geom in zip(regions.names, regions.geometries, strict=True):
        out[name] += area_km2(geom)
    return out


def cell_fractions(regions: Regions, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Share of each cell's area in each region, (n_regions, ny, nx), for a regular grid of
    cell centres ``lon`` (nx,), ``lat`` (ny,) [degree] (both ascending, evenly spaced).
    Shares come from the intersection of each cell with each polygon in the equal-area
    projection; a cell outside every region has shares 0."""
    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    dx = float(lon[1] - lon[0]) if lon.size > 1 else 1.0
    dy = float(lat[1] - lat[0]) if lat.size > 1 else 1.0
    la, lo = np.meshgrid(lat, lon, indexing="ij")
    boxes = shapely.box(lo - dx / 2, la - dy / 2, lo + dx / 2, la + dy / 2)
    cell_area = shapely.area(_equal_area(boxes))
    names = list(dict.fromkeys(regions.names))
    out = np.zeros((len(names), *la.shape))
    for name, geom in zip(regions.names, regions.geometries, strict=True):
        shapely.prepare(geom)
        near = shapely.intersects(geom, boxes)
        if near.any():
            part = shapely.intersection(boxes[near], geom)
            out[names.index(name)][near] += shapely.area(_equal_area(part)) / cell_area[near]
    return np.clip(out, 0.0, 1.0)
