"""The facility register's optional location columns and the case's pipeline file.

A facility register (``facilities:`` of case.yaml, columns in :data:`openmrv.case.
FACILITY_COLUMNS`) may add, after its required columns, any of :data:`FACILITY_OPTIONAL`:

- ``location_accuracy``: what the coordinate is (``exact``, ``field_centroid``,
  ``town_centroid``; ``openmrv/data/location_accuracy.csv``), empty if unknown;
- ``location_source``: where the coordinate comes from;
- ``eur_mmboe``: a field's estimated ultimate recovery [million barrels of oil
  equivalent], the size proxy of ``openmrv/data/spatial_proxies.csv``.

A pipeline file (``pipelines:`` of case.yaml) holds line sources, one per row, in the
columns of :data:`PIPELINE_COLUMNS`; ``geometry`` is a WKT ``LINESTRING`` or
``MULTILINESTRING`` of (longitude latitude) [degree]. :func:`read_pipelines` checks every
row and returns the lines as shapely geometries; :func:`operating` selects those that
carry gas in a year (status ``operating`` and a start year not after it).
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pandas as pd
import shapely
from shapely.errors import GEOSException

from openmrv.categories import check_code
from openmrv.errors import CaseError, InputError
from openmrv.spatial import check_location_class

FACILITY_OPTIONAL: tuple[str, ...] = ("location_accuracy", "location_source", "eur_mmboe")
PIPELINE_COLUMNS: tuple[str, ...] = (
    "pipeline_id",
    "name",
    "category",
    "status",
    "start_year",
    "capacity",
    "capacity_unit",
    "location_accuracy",
    "source",
    "notes",
    "geometry",
)
#: GEM GGIT's status values; only ``operating`` lines carry gas
STATUSES = (
    "operating",
    "construction",
    "proposed",
    "shelved",
    "cancelled",
    "mothballed",
    "retired",
    "idle",
)


def check_facility_extras(rec: dict[str, str], path: Path, line: int) -> dict[str, object]:
    """Check a register row's optional columns (missing ones become empty)."""
    out: dict[str, object] = dict(rec)
    for name in FACILITY_OPTIONAL:
        out.setdefault(name, "")
    acc = str(out["location_accuracy"])
    if acc:
        try:
            check_location_class(acc, "point")
        except InputError as exc:
            raise CaseError(exc.message, file=path, row=line, field=exc.field) from None
    eur = str(out["eur_mmboe"])
    if eur:
        try:
            v = float(eur)
        except ValueError:
            v = math.nan
        if not (math.isfinite(v) and v >= 0):
            raise CaseError(
                f"eur_mmboe '{eur}' is not a number >= 0 (million barrels of oil "
                "equivalent); leave it empty where unknown",
                file=path,
                row=line,
                field="eur_mmboe",
            )
        out["eur_mmboe"] = v
    return out


def _geometry(text: str, path: Path, line: int):
    try:
        geom = shapely.from_wkt(text)
    except (GEOSException, ValueError) as exc:
        raise CaseError(
            f"geometry is not WKT ({exc}); give LINESTRING (lon lat, lon lat, ...)",
            file=path,
            row=line,
            field="geometry",
        ) from None
    if geom is None or geom.geom_type not in ("LineString", "MultiLineString"):
        kind = "nothing" if geom is None else geom.geom_type
        raise CaseError(
            f"geometry is {kind}; a pipeline is a LINESTRING or MULTILINESTRING",
            file=path,
            row=line,
            field="geometry",
        )
    if geom.is_empty or geom.length == 0:
        raise CaseError(
            "geometry has no length; give at least two distinct points",
            file=path,
            row=line,
            field="geometry",
        )
    xmin, ymin, xmax, ymax = geom.bounds
    if not (-180 <= xmin and xmax <= 180 and -90 <= ymin and ymax <= 90):
        raise CaseError(
            f"geometry spans lon {xmin:g}..{xmax:g}, lat {ymin:g}..{ymax:g}: outside "
            "[-180, 180] x [-90, 90]; give (longitude latitude) pairs in degrees",
            file=path,
            row=line,
            field="geometry",
        )
    return geom


def read_pipelines(path: Path | None, category_system: str = "IPCC2006") -> pd.DataFrame:
    """The pipeline file, checked: columns of :data:`PIPELINE_COLUMNS` with ``geometry``
    as shapely lines and ``start_year`` as a number (NaN if empty). Empty without a file.

    Raises
    ------
    CaseError
        For a bad header, a duplicate id, a bad category, status, start year, capacity,
        location class or geometry (not WKT, not a line, no length, not in degrees).
    """
    if path is None:
        return pd.DataFrame(columns=list(PIPELINE_COLUMNS))
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.reader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise CaseError(f"cannot be read as UTF-8 CSV ({exc})", file=path) from None
    header = [h.strip() for h in rows[0]] if rows else []
    if header != list(PIPELINE_COLUMNS):
        raise CaseError(
            f"header is {','.join(header)[:200]}; expected {','.join(PIPELINE_COLUMNS)}",
            file=path,
            row=1,
        )
    out, seen = [], {}
    for line, raw in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in raw):
            continue
        if len(raw) != len(PIPELINE_COLUMNS):
            raise CaseError(f"has {len(raw)} fields; the header has 11", file=path, row=line)
        rec: dict[str, object] = dict(zip(PIPELINE_COLUMNS, (c.strip() for c in raw), strict=True))
        pid = str(rec["pipeline_id"])
        if not pid or pid in seen:
            why = "is empty" if not pid else f"already used on line {seen[pid]}"
            raise CaseError(f"pipeline_id {why}", file=path, row=line, field="pipeline_id")
        seen[pid] = line
        rec["category"] = check_code(
            str(rec["category"]), category_system, file=str(path), row=line
        )
        if rec["status"] not in STATUSES:
            raise CaseError(
                f"status '{rec['status']}' is not one of {', '.join(STATUSES)}",
                file=path,
                row=line,
                field="status",
            )
        for name in ("start_year", "capacity"):
            text = str(rec[name])
            try:
                rec[name] = float(text) if text else math.nan
            except ValueError:
                raise CaseError(
                    f"{name} '{text}' is not a number", file=path, row=line, field=name
                ) from None
        try:
            check_location_class(str(rec["location_accuracy"]), "line")
        except InputError as exc:
            raise CaseError(exc.message, file=path, row=line, field=exc.field) from None
        rec["geometry"] = _geometry(str(rec["geometry"]), path, line)
        out.append(rec)
    return pd.DataFrame(out, columns=list(PIPELINE_COLUMNS))


def operating(pipelines: pd.DataFrame, year: int) -> pd.DataFrame:
    """The pipelines that carry gas in ``year``: status ``operating`` and a start year not
    after ``year`` (an empty start year counts as operating: GGIT leaves it empty for some
    old Soviet lines)."""
    if pipelines.empty:
        return pipelines
    start = pd.to_numeric(pipelines["start_year"], errors="coerce")
    keep = (pipelines["status"] == "operating") & ~(start > year)
    return pipelines[keep].reset_index(drop=True)
