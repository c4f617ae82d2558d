"""Readers of third-party national estimates (EDGAR v7, Climate Watch/CAIT, Climate TRACE).

Each reader returns a long table: reference, sector, year, value_Mt_CO2e, gwp.
Files are the country extracts shipped with a case (see the case's ``reference/``
folder and its licence notes).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from openmrv.errors import InputError

COLUMNS = ["reference", "sector", "year", "value_Mt_CO2e", "gwp"]


def _read(path: Path, required: set[str]) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot be read as CSV ({exc})", file=path) from None
    missing = required - set(frame.columns)
    if missing:
        raise InputError(
            f"columns {sorted(missing)} are missing; is this the right file?", file=path
        )
    return frame


def read_edgar(path: str | Path, gwp: str = "AR5") -> pd.DataFrame:
    """EDGAR v7.0 GHG by sector (columns gwp, sector, year, MtCO2e)."""
    f = _read(Path(path), {"gwp", "sector", "year", "MtCO2e"})
    f = f[f["gwp"] == gwp]
    return pd.DataFrame(
        {
            "reference": "edgar_v7",
            "sector": f["sector"],
            "year": f["year"],
            "value_Mt_CO2e": f["MtCO2e"],
            "gwp": f"{gwp}GWP100",
        }
    )[COLUMNS]


def read_cait(path: str | Path) -> pd.DataFrame:
    """Climate Watch (CAIT) GHG by sector via Our World in Data (MtCO2e, wide by sector)."""
    f = _read(Path(path), {"Year"})
    sectors = [c for c in f.columns if c not in ("Country", "Year") and "per capita" not in c]
    long = f.melt(
        id_vars=["Year"], value_vars=sectors, var_name="sector", value_name="value_Mt_CO2e"
    ).dropna()
    return pd.DataFrame(
        {
            "reference": "cait_2021",
            "sector": long["sector"],
            "year": long["Year"],
            "value_Mt_CO2e": long["value_Mt_CO2e"],
            "gwp": "AR4GWP100 (CAIT)",
        }
    )[COLUMNS]


def read_climate_trace(path: str | Path) -> pd.DataFrame:
    """Climate TRACE country inventory (t CO2e, 100-year, per sector and year)."""
    f = _read(Path(path), {"sector/subsector", "year", "co2e100"})
    return pd.DataFrame(
        {
            "reference": "climate_trace_2022",
            "sector": f["sector/subsector"],
            "year": f["year"],
            "value_Mt_CO2e": f["co2e100"] / 1e6,
            "gwp": "GWP100 (Climate TRACE)",
        }
    )[COLUMNS]


READERS: dict[str, Callable[[Path], pd.DataFrame]] = {
    "edgar_v7": read_edgar,
    "cait_2021": read_cait,
    "climate_trace_2022": read_climate_trace,
}


def read_references(files: dict[str, Path]) -> pd.DataFrame:
    """Read the case's reference files; keys must name a reader in :data:`READERS`."""
    frames = []
    for name, path in files.items():
        if name not in READERS:
            raise InputError(
                f"unknown reference '{name}'; known: {', '.join(READERS)}",
                field=f"references.{name}",
            )
        frames.append(READERS[name](path))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)
