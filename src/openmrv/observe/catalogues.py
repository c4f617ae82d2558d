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
  "detected plumes" CSV or GeoJSON; columns as in its data definitions:
  ``id_plume, tile_date, lat, lon, satellite, sector, country, ch4_fluxrate,
  ch4_fluxrate_std`` [kg/h], ``wind_speed`` [m/s], ...): :func:`read_imeo_catalogue`.
- Carbon Mapper data portal plume export (data.carbonmapper.org, the ``plume-csv``
  CSV or the plume GeoJSON; ``plume_id, plume_latitude, plume_longitude, datetime, gas,
  ipcc_sector, instrument, platform, gsd`` [m], ``emission_auto,
  emission_uncertainty_auto`` [kg/h], ``wind_speed_avg_auto`` [m/s], ...):
  :func:`read_carbonmapper_catalogue`.
"""

from __future__ import annotations

import csv
import json
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from openmrv.errors import InputError

#: the columns every plume table has (third-party catalogues and openmrv's own detections)
PLUME_CORE = (
    "time",
    "lat",
    "lon",
    "rate_t_per_h",
    "rate_sigma_t_per_h",
    "method",
    "source",
    "facility_id",
    "scene",
)
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
def instrument_pixels() -> dict[str, float]:
    """Ground pixel size [km] by instrument name or alias (``data/instrument_pixels.csv``),
    keys upper-case."""
    out: dict[str, float] = {}
    with (Path(__file__).parent / "data" / "instrument_pixels.csv").open() as fh:
        for r in csv.DictReader(fh):
            for name in [r["instrument"], *r["aliases"].split(";")]:
                if name.strip():
                    out[name.strip().upper()] = float(r["pixel_km"])
    return out


def pixel_km_of(instrument: pd.Series) -> pd.Series:
    """Pixel size [km] of each instrument name (NaN where the table does not know it)."""
    table = instrument_pixels()
    return instrument.fillna("").astype(str).str.strip().str.upper().map(table).astype(float)


def _text(raw: pd.DataFrame, col: str) -> pd.Series:
    if col not in raw:
        return pd.Series([""] * len(raw), index=raw.index)
    return raw[col].fillna("").astype(str)


def _numbers(raw, cols, path, *, allow_missing_rate=False):
    """Columns as floats; a non-numeric or negative entry is an InputError naming the line
    (CSV line = row + 2). With ``allow_missing_rate`` empty rates are kept as NaN."""
    out = []
    for col in cols:
        v = pd.to_numeric(raw[col], errors="coerce")
        blank = raw[col].isna() | (raw[col].astype(str).str.strip() == "")
        bad = (v.isna() & ~(blank if allow_missing_rate else False)) | (v < 0)
        if col in ("lat", "lon", "plume_latitude", "plume_longitude"):
            bad = v.isna() | (v.abs() > (90 if "lat" in col else 180))
        if bad.any():
            k = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(
                f"{raw[col].iloc[k]!r} is not a valid value "
                "(a number; rates and uncertainties not negative)",
                file=path,
                row=k + 2,
                field=col,
            )
        out.append(v.astype(float))
    return out


def _time(values: pd.Series, path: Path, field: str) -> pd.Series:
    try:
        t = pd.to_datetime(values, utc=True, format="mixed")
    except (ValueError, TypeError) as exc:
        raise InputError(f"times not ISO 8601 ({exc})", file=path, field=field) from None
    if t.isna().any():
        k = int(np.flatnonzero(t.isna().to_numpy())[0])
        raise InputError("time missing", file=path, row=k + 2, field=field)
    return t.dt.tz_localize(None)  # naive UTC, like the SRON reader and our own table


def _read_any(path: Path) -> tuple[pd.DataFrame, bool]:
    """A catalogue as a frame of its columns (CSV) or of its features' properties
    (GeoJSON, with ``_lon``/``_lat`` from point geometries); and whether it was GeoJSON."""
    if path.suffix.lower() in (".geojson", ".json"):
        try:
            doc = json.loads(path.read_text())
            feats = doc["features"]
            rows = []
            for f in feats:
                props = dict(f.get("properties") or {})
                geom = f.get("geometry") or {}
                if geom.get("type") == "Point":
                    props["_lon"], props["_lat"] = geom["coordinates"][:2]
                rows.append(props)
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise InputError(
                f"cannot be read as a GeoJSON FeatureCollection ({exc})", file=path
            ) from None
        return pd.DataFrame(rows), True
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""]), False
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


def read_plume_catalogue(path: str | Path, source: str | None = None) -> pd.DataFrame:
    """Read a third-party plume list of any known layout (SRON, UNEP IMEO MARS, Carbon
    Mapper; CSV, and GeoJSON for the latter two) into the plume table.

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
        return _imeo(raw, path, source, geojson)
    if kind == "Carbon Mapper":
        return _carbonmapper(raw, path, source)
    raise _unknown(path, raw.columns)


def read_imeo_catalogue(path: str | Path, source: str | None = None) -> pd.DataFrame:
    """Read a UNEP IMEO MARS plume list (CSV or GeoJSON): ``ch4_fluxrate`` and
    ``ch4_fluxrate_std`` are kg CH4/h (MARS data definitions), converted to t/h; rows
    without a flux rate (a detection not quantified) are dropped and counted in
    ``attrs['unquantified']``; pixel size from ``satellite``."""
    path = Path(path)
    raw, geojson = _read_any(path)
    if catalogue_kind(raw.columns, geojson) != "IMEO MARS":
        raise _unknown(path, raw.columns)
    return _imeo(raw, path, source, geojson)


def read_carbonmapper_catalogue(
    path: str | Path, source: str | None = None, gas: str = "CH4"
) -> pd.DataFrame:
    """Read a Carbon Mapper data-portal plume export (CSV or GeoJSON): ``emission_auto``
    and ``emission_uncertainty_auto`` are kg/h, converted to t/h; only plumes of ``gas``
    are kept (column ``gas``, where present); rows without an emission (not quantified or
    hidden) are dropped and counted in ``attrs['unquantified']``; pixel size from ``gsd``
    [m], else from ``instrument``."""
    path = Path(path)
    raw, geojson = _read_any(path)
    if catalogue_kind(raw.columns, geojson) != "Carbon Mapper":
        raise _unknown(path, raw.columns)
    return _carbonmapper(raw, path, source, gas)


def _lat_lon(raw, path, lat_col, lon_col):
    if lat_col in raw and lon_col in raw:
        return _numbers(raw, [lat_col, lon_col], path)
    if "_lat" in raw:
        return _numbers(raw, ["_lat", "_lon"], path)
    raise InputError(f"no {lat_col}/{lon_col} columns and no point geometry", file=path)


def _finish(frame: pd.DataFrame, unquantified: int) -> pd.DataFrame:
    out = frame[PLUME_COLUMNS].reset_index(drop=True)
    out.attrs["unquantified"] = unquantified
    return out


def _imeo(raw, path, source, geojson):
    lat, lon = _lat_lon(raw, path, "lat", "lon")
    rate, sigma = _numbers(raw, ["ch4_fluxrate", "ch4_fluxrate_std"], path, allow_missing_rate=True)
    time = _time(raw["tile_date"], path, "tile_date")
    wind = (
        pd.to_numeric(raw["wind_speed"], errors="coerce")
        if "wind_speed" in raw
        else pd.Series(np.nan, index=raw.index)
    )
    if "wind_u" in raw and "wind_v" in raw:
        uv = np.hypot(
            pd.to_numeric(raw["wind_u"], errors="coerce"),
            pd.to_numeric(raw["wind_v"], errors="coerce"),
        )
        wind = wind.fillna(uv)
    instrument = _text(raw, "satellite")
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
            "scene": _text(raw, "tile") if "tile" in raw else _text(raw, "id_plume"),
            "source_type": _text(raw, "sector"),
            "country": _text(raw, "country"),
            "instrument": instrument,
            "pixel_km": pixel_km_of(instrument),
            "wind_speed_m_s": wind.astype(float),
        }
    )
    ok = frame["rate_t_per_h"].notna() & frame["rate_sigma_t_per_h"].notna()
    return _finish(frame[ok], int((~ok).sum()))


def _carbonmapper(raw, path, source, gas="CH4"):
    if "gas" in raw:
        raw = raw[raw["gas"].fillna("").astype(str).str.upper() == gas.upper()]
        raw = raw.reset_index(drop=True)
    lat, lon = _lat_lon(raw, path, "plume_latitude", "plume_longitude")
    tcol = next((c for c in ("datetime", "scene_timestamp") if c in raw), None)
    if tcol is None:
        raise InputError("no datetime (or scene_timestamp) column", file=path)
    time = _time(raw[tcol], path, tcol)
    rate, sigma = _numbers(
        raw, ["emission_auto", "emission_uncertainty_auto"], path, allow_missing_rate=True
    )
    instrument = _text(raw, "instrument")
    inst_name = _text(raw, "platform").where(_text(raw, "platform") != "", instrument)
    pixel = pixel_km_of(instrument).fillna(pixel_km_of(inst_name))
    if "gsd" in raw:
        pixel = (pd.to_numeric(raw["gsd"], errors="coerce") / M_PER_KM).fillna(pixel)
    wind = (
        pd.to_numeric(raw["wind_speed_avg_auto"], errors="coerce")
        if "wind_speed_avg_auto" in raw
        else pd.Series(np.nan, index=raw.index)
    )
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
            "instrument": inst_name,
            "pixel_km": pixel.astype(float),
            "wind_speed_m_s": wind.astype(float),
        }
    )
    ok = frame["rate_t_per_h"].notna() & frame["rate_sigma_t_per_h"].notna()
    return _finish(frame[ok], int((~ok).sum()))


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
