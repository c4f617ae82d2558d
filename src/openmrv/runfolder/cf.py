"""CF-1.8 metadata for the netCDF files of a run folder.

:func:`cf_ready` returns a copy of a dataset with the global attributes CF-1.8 asks for
(``Conventions``, ``title``, ``history``, ``institution``, ``source``, ``references``), each
variable's ``standard_name`` (where the CF Standard Name Table has one) or ``long_name``
and ``units`` (UDUNITS-2) from the data table ``openmrv/data/cf_attributes.csv``, and the
encoding that keeps ``_FillValue`` off coordinates, indices and strings and writes no
64-bit integers (CF-1.8 section 2.2). ``history`` carries no time stamp: a run folder is
reproduced byte for byte (``openmrv reproduce``).

``inventory.nc`` keeps primap2's units (``Gg CO2 / yr``): primap2 reads the gas from them,
and UDUNITS cannot say "of CO2"; docs/data-format.md says so.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from openmrv import __version__

TABLE = Path(__file__).parents[1] / "data" / "cf_attributes.csv"
FILES = ("inventory", "soundings", "inversion")
CONVENTIONS = "CF-1.8"
TITLES = {
    "inventory": "national greenhouse-gas inventory (openmrv)",
    "soundings": "satellite XCH4 soundings over the country (openmrv)",
    "inversion": "analytical inversion of satellite XCH4: prior and posterior (openmrv)",
}
REFERENCES = {
    "inventory": "IPCC 2006 Guidelines for National Greenhouse Gas Inventories and the 2019 "
    "Refinement; primap2 data format (Guetschow et al.); docs/data-format.md",
    "soundings": "the satellite products named in the product variable; docs/observe.md",
    "inversion": "Jacob et al. (2016), doi:10.5194/acp-16-14371-2016; Brasseur and Jacob "
    "(2017), Modeling of Atmospheric Chemistry, ch. 11; docs/inversion.md",
}


@cache
def attribute_table() -> dict[tuple[str, str], dict[str, str]]:
    """``(file, variable) -> {standard_name, long_name, units}`` from the data table."""
    with TABLE.open(newline="", encoding="utf-8") as fh:
        rows = csv.DictReader(line for line in fh if not line.startswith("#"))
        return {(r["file"], r["variable"]): r for r in rows}


def _attrs_for(file: str, name: str, var: xr.DataArray) -> dict[str, str]:
    row = attribute_table().get((file, name))
    if row is None and "gwp_context" in var.attrs:  # KYOTOGHG (<GWP set>)
        row = {
            "standard_name": "",
            "long_name": f"emissions in CO2 equivalents, GWP set {var.attrs['gwp_context']} "
            "(primap2 units)",
            "units": "-",
        }
    if row is None:
        return {}
    out = {"long_name": row["long_name"]}
    if row["standard_name"]:
        out["standard_name"] = row["standard_name"]
    if row["units"] != "-":
        out["units"] = row["units"]
    return out


def cf_ready(
    ds: xr.Dataset, file: str, encoding: dict[str, dict[str, Any]] | None = None
) -> tuple[xr.Dataset, dict[str, dict[str, Any]]]:
    """A copy of ``ds`` with CF-1.8 attributes, and the netCDF encoding to write it with.

    Parameters
    ----------
    ds
        The dataset to write.
    file
        Which file it is: ``inventory``, ``soundings`` or ``inversion``.
    encoding
        The caller's encoding (compression, string types); kept, with CF's additions.

    Returns
    -------
    dataset, encoding
    """
    if file not in FILES:
        raise KeyError(f"unknown run-folder netCDF file {file!r} (one of {FILES})")
    out = ds.copy(deep=False)
    enc: dict[str, dict[str, Any]] = {k: dict(v) for k, v in (encoding or {}).items()}
    for name, var in out.variables.items():
        attrs = {**var.attrs, **_attrs_for(file, str(name), xr.DataArray(var))}
        e = enc.setdefault(str(name), {})
        is_coord = var.dims == (name,)
        kind = var.dtype.kind
        if kind == "M":  # datetimes: seconds as doubles, no fill value
            e.setdefault("dtype", "float64")
            e.setdefault("units", "seconds since 1970-01-01 00:00:00")
            e["_FillValue"] = None
            if is_coord:
                attrs.setdefault("axis", "T")
        elif kind in "iu":
            if var.size and np.abs(np.asarray(var.values)).max() >= 2**31:
                raise ValueError(f"{name}: integers too large for a 32-bit netCDF integer")
            e["dtype"] = "int32"
            e["_FillValue"] = None
        elif kind in "OSU" or is_coord:
            e["_FillValue"] = None
        if is_coord and attrs.get("standard_name") in ("latitude", "longitude"):
            attrs["axis"] = "Y" if attrs["standard_name"] == "latitude" else "X"
        var.attrs = attrs
    if file == "soundings":
        aux = " ".join(v for v in ("time", "latitude", "longitude") if v in out.variables)
        for name, var in out.data_vars.items():
            if var.dims == ("sounding",) or var.dims[:1] == ("sounding",):
                if name not in ("time", "latitude", "longitude"):
                    var.attrs = {**var.attrs, "coordinates": aux}
    attrs = dict(out.attrs)
    attrs.update(
        Conventions=CONVENTIONS,
        title=str(attrs.get("title") or TITLES[file]),
        institution=str(attrs.get("institution") or "openmrv"),
        source=f"openmrv {__version__}",
        history=f"written by openmrv {__version__}",
        references=str(attrs.get("references") or REFERENCES[file]),
    )
    out.attrs = attrs
    return out, enc
