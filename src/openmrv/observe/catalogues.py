"""Third-party plume catalogues read into openmrv's plume table.

The plume table (pandas) has one row per detection: ``time`` (UTC), ``lat``, ``lon``
[degree], ``rate_t_per_h`` and ``rate_sigma_t_per_h`` [t CH4 / h, 1-sigma], ``method``,
``source`` (who detected it: ``openmrv`` for our own detections, the catalogue's name
otherwise), ``facility_id`` (filled by attribution), ``scene``, ``source_type`` and
``country``.

Readers: the SRON TROPOMI super-emitter lists — Schuit et al. (2023), Atmos. Chem. Phys.
23, 9071-9098, doi:10.5194/acp-23-9071-2023 (2021, all detections) and SRON's weekly lists
(2024-2025, with ``source_country``).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from openmrv.errors import InputError

PLUME_COLUMNS = [
    "time",
    "lat",
    "lon",
    "rate_t_per_h",
    "rate_sigma_t_per_h",
    "method",
    "source",
    "facility_id",
    "scene",
    "source_type",
    "country",
]


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
        }
    )[PLUME_COLUMNS]
