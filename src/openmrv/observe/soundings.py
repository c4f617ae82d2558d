"""The canonical soundings dataset: one row per satellite retrieval, CF-style names.

Every reader in :mod:`openmrv.observe` returns this layout, written down in
``docs/data-format.md`` (section "Soundings") and checked by
:func:`ensure_valid_soundings`, one small check per rule:

- dimension ``sounding`` (one retrieval each); ``level`` (vertical grid, surface
  first) and ``corner`` (footprint corners) where the product gives them;
- required variables :data:`REQUIRED`; optional ones in :data:`VARIABLES`;
- units as in :data:`VARIABLES` (mixing ratios in ppb or ppm, pressures in Pa);
- the attribute ``missing_variables`` lists canonical variables the file did not
  hold (comma separated, ``""`` when none).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import xarray as xr

from openmrv.errors import ObservationError


@dataclass(frozen=True)
class CanonicalVariable:
    """One variable of the soundings dataset."""

    name: str
    dims: tuple[str, ...]
    units: str
    required: bool
    description: str


_S = ("sounding",)
_SL = ("sounding", "level")
_SC = ("sounding", "corner")

VARIABLES: dict[str, CanonicalVariable] = {
    v.name: v
    for v in (
        CanonicalVariable("time", _S, "", True, "measurement time, datetime64[ns], UTC"),
        CanonicalVariable("latitude", _S, "degrees_north", True, "footprint centre"),
        CanonicalVariable("longitude", _S, "degrees_east", True, "footprint centre, -180..180"),
        CanonicalVariable("latitude_bounds", _SC, "degrees_north", False, "footprint corners"),
        CanonicalVariable("longitude_bounds", _SC, "degrees_east", False, "footprint corners"),
        CanonicalVariable("xch4", _S, "ppb", True, "column-average dry-air mole fraction of CH4"),
        CanonicalVariable("xch4_uncertainty", _S, "ppb", True, "1-sigma of xch4 (NaN if absent)"),
        CanonicalVariable("xco2", _S, "ppm", False, "column-average dry-air mole fraction of CO2"),
        CanonicalVariable("xco2_uncertainty", _S, "ppm", False, "1-sigma of xco2"),
        CanonicalVariable("qa_value", _S, "1", True, "quality 0 (bad) .. 1 (best); NaN if absent"),
        CanonicalVariable("quality_flag", _S, "1", False, "the product's own flag, unchanged"),
        CanonicalVariable("averaging_kernel", _SL, "1", False, "column averaging kernel"),
        CanonicalVariable("ch4_profile_apriori", _SL, "ppb", False, "prior CH4 mole fraction"),
        CanonicalVariable("pressure_levels", _SL, "Pa", False, "level (or layer-mid) pressure"),
        CanonicalVariable("pressure_weight", _SL, "1", False, "pressure weights, sum 1"),
        CanonicalVariable("dry_air_subcolumns", _SL, "mol m-2", False, "dry air per layer"),
        CanonicalVariable("surface_pressure", _S, "Pa", False, "surface air pressure"),
        CanonicalVariable("surface_albedo", _S, "1", False, "SWIR surface albedo"),
        CanonicalVariable("surface_classification", _S, "1", False, "product's land/water class"),
        CanonicalVariable("chi_square_swir", _S, "1", False, "chi-square of the SWIR fit"),
        CanonicalVariable("eastward_wind", _S, "m s-1", False, "10 m wind shipped in the product"),
        CanonicalVariable("northward_wind", _S, "m s-1", False, "10 m wind shipped in product"),
        CanonicalVariable("u", _S, "m s-1", False, "eastward wind attached from a winds file"),
        CanonicalVariable("v", _S, "m s-1", False, "northward wind attached from a winds file"),
        CanonicalVariable(
            "observation_count", _S, "1", False, "soundings per super-obs (may be fractional)"
        ),
        CanonicalVariable("scene_row", _S, "1", False, "row in a scene (patch products)"),
        CanonicalVariable("scene_col", _S, "1", False, "column in a scene (patch products)"),
        CanonicalVariable("product", _S, "", True, "product id (registry name)"),
        CanonicalVariable("product_version", _S, "", True, "product/processor version"),
        CanonicalVariable("source_file", _S, "", True, "file name the sounding came from"),
    )
}

REQUIRED: tuple[str, ...] = tuple(n for n, v in VARIABLES.items() if v.required)
STRING_VARIABLES: tuple[str, ...] = ("product", "product_version", "source_file")
# Plausible ranges [ppb] / [ppm]: values outside are not retrievals but fill values.
XCH4_RANGE_PPB: tuple[float, float] = (1000.0, 3500.0)
XCO2_RANGE_PPM: tuple[float, float] = (250.0, 600.0)


def make_soundings(
    data: Mapping[str, np.ndarray],
    *,
    product: str,
    product_version: str,
    source_file: str,
    missing: list[str] | None = None,
    attrs: Mapping[str, object] | None = None,
) -> xr.Dataset:
    """Build a soundings dataset from canonical arrays (the readers' last step).

    Parameters
    ----------
    data
        Canonical name -> array, already in canonical units; 1-D arrays have one
        value per sounding, 2-D ones are (sounding, level) or (sounding, corner).
    product, product_version, source_file
        Broadcast to every sounding.
    missing
        Canonical variables the file does not hold; recorded in the attribute
        ``missing_variables``. Required ones among them are filled with NaN.
    attrs
        Extra dataset attributes.

    Returns
    -------
    xarray.Dataset
        Valid per :func:`ensure_valid_soundings`.
    """
    n = len(data["latitude"])
    missing = sorted(set(missing or []))
    variables: dict[str, tuple] = {}
    for name, values in data.items():
        spec = VARIABLES[name]
        arr = np.asarray(values)
        if name not in ("time", "quality_flag", "scene_row", "scene_col", "surface_classification"):
            arr = arr.astype(np.float64, copy=False)
        variables[name] = (spec.dims, arr, {"units": spec.units} if spec.units else {})
    for name in REQUIRED:
        if name not in variables and name not in STRING_VARIABLES:
            if name not in missing:
                missing.append(name)
            variables[name] = (("sounding",), np.full(n, np.nan), {"units": VARIABLES[name].units})
    for name, value in (
        ("product", product),
        ("product_version", product_version),
        ("source_file", source_file),
    ):
        variables[name] = (("sounding",), np.full(n, value))  # fixed-width str: no refcounts
    ds = xr.Dataset(variables)
    ds.attrs = {
        "Conventions": "CF-1.8",
        "title": "openmrv soundings",
        "missing_variables": ",".join(sorted(missing)),
        **dict(attrs or {}),
    }
    return ds


def check_dims(ds: xr.Dataset) -> None:
    """Rule 1: dimension ``sounding`` exists; all other dims are level or corner."""
    if "sounding" not in ds.dims:
        raise ObservationError(f"dimension 'sounding' is missing (have {list(ds.dims)})")
    extra = set(ds.dims) - {"sounding", "level", "corner"}
    if extra:
        raise ObservationError(f"unexpected dimensions {sorted(extra)}; allowed: level, corner")


def check_variables(ds: xr.Dataset) -> None:
    """Rule 2: required variables exist; every canonical variable has its dims."""
    for name in REQUIRED:
        if name not in ds:
            raise ObservationError(f"required variable '{name}' is missing", field=name)
    for name, var in ds.data_vars.items():
        spec = VARIABLES.get(str(name))
        if spec is not None and var.dims != spec.dims:
            raise ObservationError(f"has dims {var.dims}; expected {spec.dims}", field=str(name))


def check_units(ds: xr.Dataset) -> None:
    """Rule 3: canonical variables carry their canonical ``units`` attribute."""
    for name, var in ds.data_vars.items():
        spec = VARIABLES.get(str(name))
        if spec is not None and spec.units and var.attrs.get("units") != spec.units:
            raise ObservationError(
                f"units '{var.attrs.get('units')}'; expected '{spec.units}'", field=str(name)
            )


def check_time(ds: xr.Dataset) -> None:
    """Rule 4: ``time`` is datetime64 without missing values."""
    t = ds["time"].values
    if not np.issubdtype(t.dtype, np.datetime64):
        raise ObservationError(f"dtype {t.dtype}; expected datetime64", field="time")
    if np.isnat(t).any():
        raise ObservationError("has missing values (NaT)", field="time")


def check_coordinates(ds: xr.Dataset) -> None:
    """Rule 5: latitude in [-90, 90], longitude in [-180, 180], both finite."""
    lat, lon = ds["latitude"].values, ds["longitude"].values
    if not (np.isfinite(lat).all() and (np.abs(lat) <= 90).all()):
        raise ObservationError("values outside [-90, 90] or missing", field="latitude")
    if not (np.isfinite(lon).all() and (np.abs(lon) <= 180).all()):
        raise ObservationError("values outside [-180, 180] or missing", field="longitude")


def check_values(ds: xr.Dataset) -> None:
    """Rule 6: xch4 finite and plausible; uncertainty >= 0 or NaN; qa in [0, 1] or NaN."""
    x = ds["xch4"].values
    lo, hi = XCH4_RANGE_PPB
    if not (np.isfinite(x).all() and ((x >= lo) & (x <= hi)).all()):
        raise ObservationError(f"values missing or outside [{lo}, {hi}] ppb", field="xch4")
    u = ds["xch4_uncertainty"].values
    if (u < 0).any():
        raise ObservationError("negative values", field="xch4_uncertainty")
    q = ds["qa_value"].values
    if ((q < 0) | (q > 1)).any():
        raise ObservationError("values outside [0, 1]", field="qa_value")


def check_provenance(ds: xr.Dataset) -> None:
    """Rule 7: product, product_version, source_file are non-empty strings."""
    for name in STRING_VARIABLES:
        vals = ds[name].values
        if len(vals) and not all(isinstance(v, str) and v for v in vals):
            raise ObservationError("must hold non-empty strings", field=name)
    if "missing_variables" not in ds.attrs:
        raise ObservationError("attribute 'missing_variables' is missing", field="attrs")


CHECKS = (
    check_dims,
    check_variables,
    check_units,
    check_time,
    check_coordinates,
    check_values,
    check_provenance,
)


def ensure_valid_soundings(ds: xr.Dataset) -> xr.Dataset:
    """Check a soundings dataset against every rule of the format.

    Parameters
    ----------
    ds
        A soundings dataset.

    Returns
    -------
    xarray.Dataset
        ``ds`` itself, unchanged.

    Raises
    ------
    openmrv.errors.ObservationError
        At the first broken rule, naming the variable.
    """
    for check in CHECKS:
        check(ds)
    return ds


def missing_variables(ds: xr.Dataset) -> list[str]:
    """The canonical variables the source file(s) did not hold."""
    text = str(ds.attrs.get("missing_variables", ""))
    return [m for m in text.split(",") if m]


def concat_soundings(parts: list[xr.Dataset]) -> xr.Dataset:
    """Concatenate soundings datasets along ``sounding`` (levels padded with NaN).

    Parameters
    ----------
    parts
        Soundings datasets, possibly of different products and level counts.

    Returns
    -------
    xarray.Dataset
        One dataset; ``missing_variables`` is the union of the parts'.
    """
    if not parts:
        raise ObservationError("no soundings to concatenate")
    nlev = max((p.sizes.get("level", 0) for p in parts), default=0)
    padded = []
    for p in parts:
        if "level" in p.dims and p.sizes["level"] < nlev:
            p = p.pad(level=(0, nlev - p.sizes["level"]))
        padded.append(p.drop_vars([c for c in p.coords if c != "sounding"]))
    out = xr.concat(
        padded,
        dim="sounding",
        data_vars="all",
        coords="minimal",
        compat="override",
        join="outer",
        combine_attrs="override",
        fill_value={"surface_classification": 255, "quality_flag": -1},
    )
    missing = sorted({m for p in parts for m in missing_variables(p)})
    out.attrs = {
        "Conventions": "CF-1.8",
        "title": "openmrv soundings",
        "missing_variables": ",".join(missing),
    }
    return out
