"""Third-party plume catalogues read into openmrv's plume table.

The plume table (pandas) has one row per detection: ``time`` (UTC), ``lat``, ``lon``
[degree], ``rate_t_per_h`` and ``rate_sigma_t_per_h`` [t CH4 / h, 1-sigma], ``method``,
``source`` (who detected it: ``openmrv`` for our own detections, the catalogue's name
otherwise), ``facility_id`` (filled by attribution), ``scene``, ``source_type``,
``country``, ``instrument``, ``pixel_km`` (the instrument's ground pixel, for the
attribution radius; ``data/instrument_pixels.csv``) and ``wind_speed_m_s`` (where the
catalogue gives it; NaN otherwise).

Readers (:func:`read_plume_catalogue` tells the layout from the header and dispatches):

- SRON TROPOMI super-emitter lists — Schuit et al. (2023), Atmos. Chem. Phys. 23,
  9071-9098, doi:10.5194/acp-23-9071-2023 (2021, all detections) and SRON's weekly lists
  (2024-2025, with ``source_country``): :func:`read_sron_catalogue`.
- UNEP IMEO MARS plumes (Eye on Methane data download, methanedata.unep.org, the
  "detected plumes" CSV or GeoJSON; ``id_plume, satellite, tile_date, lat, lon, country,
  sector, tile, ch4_fluxrate, ch4_fluxrate_std`` [kg/h], ``wind_u, wind_v, wind_speed``
  [m/s], ...): :func:`read_imeo_catalogue`. Checked against a real export (October 2024,
  ``tests/data/catalogues``): ``satellite`` reads ``<satellite> - <agency>``
  (``Sentinel-2 - ESA``, ``Sentinel-5P/TROPOMI - ESA``); ``tile_date`` is ISO 8601 without
  an offset (UTC); the Kayrros TROPOMI rows give a rate but no ``ch4_fluxrate_std`` and no
  ``tile``; one row has a zero rate, one none.
- Carbon Mapper data portal plume export (data.carbonmapper.org, the ``plume-csv``
  CSV or the plume GeoJSON; ``plume_id, plume_latitude, plume_longitude, datetime, gas,
  ipcc_sector, instrument, platform, gsd`` [m], ``emission_auto,
  emission_uncertainty_auto`` [kg/h], ``wind_speed_avg_auto`` [m/s], ...):
  :func:`read_carbonmapper_catalogue`. Checked against a real ``plume-csv`` export (June
  2025): ``datetime`` like ``2025-05-21T18:08:50+00``; ``instrument`` is a code (``tan``,
  ``emi``, ``GAO``) and ``platform`` a carrier (``Tanager``, ``ISS``, ``Global Airborne
  Observatory``); ``gsd`` is empty for EMIT and GAO; 10 % of rows have no emission.

Rows with no rate or a zero rate are dropped and counted in ``attrs['unquantified']``;
rows with a rate but no uncertainty are dropped and counted in ``attrs['no_uncertainty']``
unless ``require_uncertainty=False`` (then kept with ``rate_sigma_t_per_h`` NaN). Times
must be ISO 8601 (no day/month guessing). A UTF-8 byte-order mark is ignored. GeoJSON
features are placed at ``lat``/``lon`` (properties) when given, else at the point, else at
the centroid of the plume outline (Polygon/MultiPolygon), which lies downwind of the
source.
"""

from __future__ import annotations

import csv
import json
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from openmrv import runfolder
from openmrv.errors import InputError

#: the columns every plume table has (third-party catalogues and openmrv's own detections)
PLUME_CORE = runfolder.PLUME_CORE  # the plume table's core columns (docs/run-folder.md)
PLUME_COLUMNS = [
    *PLUME_CORE,
    "source_type",
    "country",
    "instrument",
    "pixel_km",
    "wind_speed_m_s",
]
KG_PER_T = 1000.0  # kg per metric tonne (SI)
M_PER_KM = 1000.0

#: the columns each layout needs (found in the header) — also the error message's list
LAYOUTS: dict[str, tuple[str, ...]] = {
    "SRON": ("date", "time_UTC", "lat", "lon", "source_rate_t/h", "uncertainty_t/h"),
    "IMEO MARS": ("tile_date", "lat", "lon", "ch4_fluxrate", "ch4_fluxrate_std"),
    "Carbon Mapper": (
        "datetime",
        "plume_latitude",
        "plume_longitude",
        "emission_auto",
        "emission_uncertainty_auto",
    ),
}
# Carbon Mapper GeoJSON: the point is the geometry; the time may be ``scene_timestamp``
_CM_GEOJSON = ("emission_auto", "emission_uncertainty_auto")


@cache
def _instrument_table() -> dict[str, tuple[str, float]]:
    """(instrument name, ground pixel [km]) by instrument name or alias, keys upper-case
    (``data/instrument_pixels.csv``)."""
    out: dict[str, tuple[str, float]] = {}
    with (Path(__file__).parent / "data" / "instrument_pixels.csv").open() as fh:
        for r in csv.DictReader(fh):
            for name in [r["instrument"], *r["aliases"].split(";")]:
                if name.strip():
                    out[name.strip().upper()] = (r["instrument"], float(r["pixel_km"]))
    return out


def instrument_pixels() -> dict[str, float]:
    """Ground pixel size [km] by instrument name or alias (``data/instrument_pixels.csv``),
    keys upper-case."""
    return {k: v[1] for k, v in _instrument_table().items()}


def _key(names: pd.Series) -> pd.Series:
    return names.fillna("").astype(str).str.strip().str.upper()


def pixel_km_of(instrument: pd.Series) -> pd.Series:
    """Pixel size [km] of each instrument name (NaN where the table does not know it)."""
    return _key(instrument).map(instrument_pixels()).astype(float)


def instrument_name_of(instrument: pd.Series) -> pd.Series:
    """The table's name of each instrument given by name or alias (``emi`` -> ``EMIT``,
    ``tan`` -> ``Tanager``); empty where the table does not know it."""
    names = {k: v[0] for k, v in _instrument_table().items()}
    return _key(instrument).map(names).fillna("").astype(str)


def _text(raw: pd.DataFrame, col: str) -> pd.Series:
    if col not in raw:
        return pd.Series([""] * len(raw), index=raw.index)
    return raw[col].fillna("").astype(str)


def _where(raw: pd.DataFrame, k: int, geojson: bool) -> tuple[int | None, str]:
    """Where row ``k`` (position) of ``raw`` is in the file: the CSV line (header = line 1;
    the frame's index is the data-row number, kept through filtering) or the feature."""
    i = int(raw.index[k])
    return (None, f"feature {i + 1}: ") if geojson else (i + 2, "")


def _numbers(raw, cols, path, *, allow_missing_rate=False, geojson=False):
    """Columns as floats; a non-numeric or negative entry is an InputError naming the line
    (CSV) or feature (GeoJSON). With ``allow_missing_rate`` empty rates are kept as NaN."""
    out = []
    for col in cols:
        v = pd.to_numeric(raw[col], errors="coerce")
        blank = raw[col].isna() | (raw[col].astype(str).str.strip() == "")
        bad = (v.isna() & ~(blank if allow_missing_rate else False)) | (v < 0)
        if col in ("lat", "lon", "plume_latitude", "plume_longitude", "_lat", "_lon"):
            bad = v.isna() | (v.abs() > (90 if "lat" in col else 180))
        if bad.any():
            k = int(np.flatnonzero(bad.to_numpy())[0])
            line, feature = _where(raw, k, geojson)
            raise InputError(
                f"{feature}{raw[col].iloc[k]!r} is not a valid value (a number; rates and "
                "uncertainties not negative, latitude within +-90, longitude within +-180); "
                "correct the entry or leave the rate empty for an unquantified plume",
                file=path,
                row=line,
                field=col,
            )
        out.append(v.astype(float))
    return out


def _time(values: pd.Series, path: Path, field: str, geojson: bool = False) -> pd.Series:
    """UTC times from ISO 8601 text (with or without a UTC offset; no offset = UTC, as the
    MARS export writes ``2022-11-05T07:01:46.161000``; Carbon Mapper ``...+00``)."""
    text = values.fillna("").astype(str).str.strip()
    # ISO 8601 only: "mixed" would read 05/11/2022 as 11 May without a word
    t = pd.to_datetime(text, utc=True, format="ISO8601", errors="coerce")
    bad = t.isna()
    if bad.any():
        k = int(np.flatnonzero(bad.to_numpy())[0])
        line, feature = _where(values.to_frame(), k, geojson)
        raise InputError(
            f"{feature}time {text.iloc[k]!r} missing or not ISO 8601 "
            "(expected e.g. 2022-11-05T07:01:46 or 2025-05-21T18:08:50+00)",
            file=path,
            row=line,
            field=field,
        )
    return t.dt.tz_localize(None)  # naive UTC, like the SRON reader and our own table


def _ring_centroid(ring) -> tuple[float, float, float]:
    """(signed area, centroid lon, centroid lat) of a closed lon/lat ring, planar
    (shoelace; plume outlines span a few km, where the planar error is negligible)."""
    xy = np.asarray(ring, dtype=float)[:, :2]
    x0, y0 = xy[0]
    x, y = xy[:, 0] - x0, xy[:, 1] - y0  # relative to a vertex: no loss of digits
    x1, y1 = np.roll(x, -1), np.roll(y, -1)
    cross = x * y1 - x1 * y
    a = cross.sum() / 2.0
    if a == 0.0:  # degenerate outline: the mean of its vertices
        return 0.0, float(x0 + x.mean()), float(y0 + y.mean())
    cx = ((x + x1) * cross).sum() / (6 * a)
    cy = ((y + y1) * cross).sum() / (6 * a)
    return a, float(x0 + cx), float(y0 + cy)


def _geometry_point(geom: dict) -> tuple[float, float] | None:
    """(lon, lat) of a feature: the point, or the area-weighted centroid of the outer
    rings of a (Multi)Polygon plume outline (MARS exports outlines); None otherwise."""
    kind = geom.get("type")
    if kind == "Point":
        lon, lat = geom["coordinates"][:2]
        return float(lon), float(lat)
    polys = {"Polygon": [geom.get("coordinates")], "MultiPolygon": geom.get("coordinates")}
    if kind not in polys or not polys[kind] or not polys[kind][0]:
        return None
    parts = [_ring_centroid(poly[0]) for poly in polys[kind] if poly]
    w = np.array([abs(a) for a, _, _ in parts])
    if w.sum() == 0.0:
        w = np.ones(len(parts))
    lon = float(np.dot(w, [c[1] for c in parts]) / w.sum())
    lat = float(np.dot(w, [c[2] for c in parts]) / w.sum())
    return lon, lat


def _read_any(path: Path) -> tuple[pd.DataFrame, bool]:
    """A catalogue as a frame of its columns (CSV) or of its features' properties
    (GeoJSON, with ``_lon``/``_lat`` from the point, or the outline's centroid); and
    whether it was GeoJSON."""
    if path.suffix.lower() in (".geojson", ".json"):
        try:
            doc = json.loads(path.read_text(encoding="utf-8-sig"))
            feats = doc["features"]
            rows = []
            for f in feats:
                props = dict(f.get("properties") or {})
                geom = f.get("geometry") or {}
                point = _geometry_point(geom)
                if point is not None:
                    props["_lon"], props["_lat"] = point
                rows.append(props)
        except (OSError, ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
            raise InputError(
                f"cannot be read as a GeoJSON FeatureCollection ({exc})", file=path
            ) from None
        return pd.DataFrame(rows), True
    try:
        # utf-8-sig: a byte-order mark before the first column name is dropped
        frame = pd.read_csv(
            path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig"
        )
        return frame, False
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot be read as CSV ({exc})", file=path) from None


def catalogue_kind(columns, geojson: bool = False) -> str | None:
    """The layout (a key of :data:`LAYOUTS`) whose needed columns are all present."""
    cols = set(columns)
    for kind, need in LAYOUTS.items():
        if set(need) <= cols:
            return kind
    if geojson and set(_CM_GEOJSON) <= cols:
        return "Carbon Mapper"
    if geojson and {"tile_date", "ch4_fluxrate", "ch4_fluxrate_std"} <= cols:
        return "IMEO MARS"
    return None


def _unknown(path: Path, columns) -> InputError:
    expect = "; ".join(f"{k}: {', '.join(v)}" for k, v in LAYOUTS.items())
    return InputError(
        f"not a known plume catalogue layout (columns {sorted(map(str, columns))[:12]}); "
        f"expected the columns of one of — {expect}",
        file=path,
    )


def read_plume_catalogue(
    path: str | Path, source: str | None = None, *, require_uncertainty: bool = True
) -> pd.DataFrame:
    """Read a third-party plume list of any known layout (SRON, UNEP IMEO MARS, Carbon
    Mapper; CSV, and GeoJSON for the latter two) into the plume table.

    ``require_uncertainty`` (IMEO MARS and Carbon Mapper): drop rows that have a rate but
    no uncertainty (all Kayrros TROPOMI rows of the MARS export), counted in
    ``attrs['no_uncertainty']``; with False they are kept with ``rate_sigma_t_per_h`` NaN.

    Raises
    ------
    InputError
        Naming the file and the columns each layout needs, for an unknown layout; or the
        file, line and field for a bad value.
    """
    path = Path(path)
    raw, geojson = _read_any(path)
    kind = catalogue_kind(raw.columns, geojson)
    if kind == "SRON":
        return read_sron_catalogue(path, source)
    if kind == "IMEO MARS":
        return _imeo(raw, path, source, geojson, require_uncertainty)
    if kind == "Carbon Mapper":
        return _carbonmapper(raw, path, source, geojson, require_uncertainty=require_uncertainty)
    raise _unknown(path, raw.columns)


def read_imeo_catalogue(
    path: str | Path, source: str | None = None, *, require_uncertainty: bool = True
) -> pd.DataFrame:
    """Read a UNEP IMEO MARS plume list (CSV or GeoJSON): ``ch4_fluxrate`` and
    ``ch4_fluxrate_std`` are kg CH4/h (MARS data definitions), converted to t/h. Rows with
    no flux rate or a zero one (a detection not quantified) are dropped and counted in
    ``attrs['unquantified']``; rows with a rate but no ``ch4_fluxrate_std`` are dropped
    and counted in ``attrs['no_uncertainty']`` unless ``require_uncertainty=False`` (then
    kept, sigma NaN). ``satellite`` is written ``<satellite> - <agency>`` (``Sentinel-2 -
    ESA``); the instrument is the part before `` - `` and gives the pixel size."""
    path = Path(path)
    raw, geojson = _read_any(path)
    if catalogue_kind(raw.columns, geojson) != "IMEO MARS":
        raise _unknown(path, raw.columns)
    return _imeo(raw, path, source, geojson, require_uncertainty)


def read_carbonmapper_catalogue(
    path: str | Path,
    source: str | None = None,
    gas: str = "CH4",
    *,
    require_uncertainty: bool = True,
) -> pd.DataFrame:
    """Read a Carbon Mapper data-portal plume export (CSV or GeoJSON): ``emission_auto``
    and ``emission_uncertainty_auto`` are kg/h, converted to t/h; only plumes of ``gas``
    are kept (column ``gas``, where present); rows without an emission or with a zero one
    (not quantified or hidden) are dropped and counted in ``attrs['unquantified']``, rows
    with an emission but no uncertainty as for :func:`read_imeo_catalogue`. Instrument
    from the ``instrument`` code (``tan`` Tanager, ``emi`` EMIT) else ``platform``; pixel
    size from ``gsd`` [m], else from the instrument (NaN for airborne ones without
    ``gsd``, e.g. GAO: the attribution then uses the fixed radius)."""
    path = Path(path)
    raw, geojson = _read_any(path)
    if catalogue_kind(raw.columns, geojson) != "Carbon Mapper":
        raise _unknown(path, raw.columns)
    return _carbonmapper(raw, path, source, geojson, gas, require_uncertainty)


def _lat_lon(raw, path, lat_col, lon_col, geojson=False):
    if lat_col in raw and lon_col in raw:
        return _numbers(raw, [lat_col, lon_col], path, geojson=geojson)
    if "_lat" in raw:
        return _numbers(raw, ["_lat", "_lon"], path, geojson=geojson)
    raise InputError(
        f"no {lat_col}/{lon_col} columns and no point geometry; export the catalogue with "
        "its coordinates",
        file=path,
    )


def _finish(frame: pd.DataFrame, require_uncertainty: bool) -> pd.DataFrame:
    """Drop unquantified rows (no rate, or zero) and, with ``require_uncertainty``, rows
    with a rate but no uncertainty; count both in ``attrs``."""
    rate, sigma = frame["rate_t_per_h"], frame["rate_sigma_t_per_h"]
    quantified = rate.notna() & (rate > 0)
    no_sigma = quantified & sigma.isna()
    keep = quantified & ~no_sigma if require_uncertainty else quantified
    out = frame.loc[keep, PLUME_COLUMNS].reset_index(drop=True)
    out.attrs["unquantified"] = int((~quantified).sum())
    out.attrs["no_uncertainty"] = int(no_sigma.sum())
    return out


def _wind(raw: pd.DataFrame, col: str) -> pd.Series:
    if col in raw:
        return pd.to_numeric(raw[col], errors="coerce").astype(float)
    return pd.Series(np.nan, index=raw.index)


def _imeo(raw, path, source, geojson, require_uncertainty=True):
    lat, lon = _lat_lon(raw, path, "lat", "lon", geojson)
    rate, sigma = _numbers(
        raw, ["ch4_fluxrate", "ch4_fluxrate_std"], path, allow_missing_rate=True, geojson=geojson
    )
    time = _time(raw["tile_date"], path, "tile_date", geojson)
    wind = _wind(raw, "wind_speed")
    if "wind_u" in raw and "wind_v" in raw:
        wind = wind.fillna(np.hypot(_wind(raw, "wind_u"), _wind(raw, "wind_v")))
    # "Sentinel-2 - ESA", "Landsat - NASA/USGS", "Sentinel-5P/TROPOMI - ESA"
    satellite = _text(raw, "satellite").str.split(" - ", n=1).str[0].str.strip()
    known = instrument_name_of(satellite)
    tile = _text(raw, "tile")
    frame = pd.DataFrame(
        {
            "time": time,
            "lat": lat,
            "lon": lon,
            "rate_t_per_h": rate / KG_PER_T,
            "rate_sigma_t_per_h": sigma / KG_PER_T,
            "method": "IMEO MARS",
            "source": source or f"UNEP IMEO MARS ({path.stem})",
            "facility_id": "",
            # the satellite scene; the plume id where the export gives no tile (TROPOMI, GOES)
            "scene": tile.where(tile.str.strip() != "", _text(raw, "id_plume")),
            "source_type": _text(raw, "sector"),
            "country": _text(raw, "country"),
            "instrument": known.where(known != "", satellite),
            "pixel_km": pixel_km_of(satellite),
            "wind_speed_m_s": wind,
        }
    )
    return _finish(frame, require_uncertainty)


def _carbonmapper(raw, path, source, geojson=False, gas="CH4", require_uncertainty=True):
    if "gas" in raw:
        # keep the data-row numbers (the index) so that errors name the file's line
        raw = raw[raw["gas"].fillna("").astype(str).str.strip().str.upper() == gas.upper()]
    lat, lon = _lat_lon(raw, path, "plume_latitude", "plume_longitude", geojson)
    tcol = next((c for c in ("datetime", "scene_timestamp") if c in raw), None)
    if tcol is None:
        raise InputError(
            "no datetime (or scene_timestamp) column; export the plumes with their times",
            file=path,
        )
    time = _time(raw[tcol], path, tcol, geojson)
    rate, sigma = _numbers(
        raw,
        ["emission_auto", "emission_uncertainty_auto"],
        path,
        allow_missing_rate=True,
        geojson=geojson,
    )
    code, platform = _text(raw, "instrument"), _text(raw, "platform")
    # instrument code (tan, emi, GAO) -> the table's name, else the platform's, else as given
    name = instrument_name_of(code)
    name = name.where(name != "", instrument_name_of(platform))
    name = name.where(name != "", platform.where(platform.str.strip() != "", code))
    pixel = pixel_km_of(code).fillna(pixel_km_of(platform))
    if "gsd" in raw:
        pixel = (pd.to_numeric(raw["gsd"], errors="coerce") / M_PER_KM).fillna(pixel)
    frame = pd.DataFrame(
        {
            "time": time,
            "lat": lat,
            "lon": lon,
            "rate_t_per_h": rate / KG_PER_T,
            "rate_sigma_t_per_h": sigma / KG_PER_T,
            "method": "Carbon Mapper",
            "source": source or f"Carbon Mapper ({path.stem})",
            "facility_id": "",
            "scene": _text(raw, "plume_id"),
            "source_type": _text(raw, "ipcc_sector"),
            "country": _text(raw, "country"),
            "instrument": name,
            "pixel_km": pixel.astype(float),
            "wind_speed_m_s": _wind(raw, "wind_speed_avg_auto"),
        }
    )
    return _finish(frame, require_uncertainty)


def read_sron_catalogue(path: str | Path, source: str | None = None) -> pd.DataFrame:
    """Read an SRON TROPOMI plume list (Schuit et al. 2023 layout or the weekly lists).

    Raises
    ------
    InputError
        Naming the file, for a missing column, a bad date or a non-numeric rate.
    """
    path = Path(path)
    try:
        raw = pd.read_csv(path, dtype={"date": str, "time_UTC": str})
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot be read as CSV ({exc})", file=path) from None
    need = {"date", "time_UTC", "lat", "lon", "source_rate_t/h", "uncertainty_t/h"}
    missing = need - set(raw.columns)
    if missing:
        raise InputError(
            f"columns {sorted(missing)} missing; is this an SRON plume list?", file=path
        )
    try:
        time = pd.to_datetime(raw["date"] + " " + raw["time_UTC"], format="%Y%m%d %H:%M:%S")
    except ValueError as exc:
        raise InputError(
            f"date/time not as YYYYMMDD HH:MM:SS ({exc})", file=path, field="date"
        ) from None
    rate = pd.to_numeric(raw["source_rate_t/h"], errors="coerce")
    sigma = pd.to_numeric(raw["uncertainty_t/h"], errors="coerce")
    bad = rate.isna() | sigma.isna() | (rate < 0) | (sigma < 0)
    if bad.any():
        line = int(bad.to_numpy().nonzero()[0][0]) + 2
        raise InputError(
            "rate or uncertainty missing, negative or not a number",
            file=path,
            row=line,
            field="source_rate_t/h",
        )
    stype = raw.get("estimated_source_type", raw.get("source_type", pd.Series([""] * len(raw))))
    return pd.DataFrame(
        {
            "time": time,
            "lat": raw["lat"].astype(float),
            "lon": raw["lon"].astype(float),
            "rate_t_per_h": rate.astype(float),
            "rate_sigma_t_per_h": sigma.astype(float),
            "method": "IME (SRON)",
            "source": source or f"SRON ({path.stem})",
            "facility_id": "",
            "scene": "",
            "source_type": stype.fillna("").astype(str),
            "country": raw.get("source_country", pd.Series([""] * len(raw))).fillna("").astype(str),
            "instrument": "TROPOMI",
            "pixel_km": instrument_pixels()["TROPOMI"],
            "wind_speed_m_s": np.nan,  # the SRON lists give no wind
        }
    )[PLUME_COLUMNS]
