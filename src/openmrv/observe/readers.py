"""Handlers: turn an open file of a known product into the canonical soundings dataset.

Each handler takes the open file and its :class:`~openmrv.observe.products.ProductSpec`
and returns soundings (see :mod:`openmrv.observe.soundings`). What is generic --
checking required variables, finding each canonical variable, converting units --
lives here once; the handlers only do what is particular to a product (time
encoding, vertical grid, QA flag convention).

Soundings without a retrieval (fill values in xch4, or no position) are not
returned; their number is recorded in the attribute ``soundings_without_retrieval``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from openmrv.errors import (
    MissingVariableError,
    NoSoundingsError,
    NotYetPublishedError,
    ObservationError,
)
from openmrv.observe._files import SourceFile, conversion_factor
from openmrv.observe.products import ProductSpec
from openmrv.observe.rules import screen
from openmrv.observe.soundings import VARIABLES, XCH4_RANGE_PPB, make_soundings

Handler = Callable[[SourceFile, ProductSpec], xr.Dataset]

_NO_UNITS = {"time", "quality_flag", "surface_classification", "scene_row", "scene_col"}
_AUX_UNITS = {"pressure_interval": "Pa"}  # spec inputs that are not canonical variables


def check_required(src: SourceFile, spec: ProductSpec) -> None:
    """Raise :class:`MissingVariableError` listing every required variable that is absent."""
    absent = [req for req in spec.required if not any(src.has(p) for p in req.split("|"))]
    if absent:
        raise MissingVariableError(
            f"not a complete {spec.name} file: missing {', '.join(absent)}", file=src.path
        )


def load(src: SourceFile, spec: ProductSpec) -> tuple[dict[str, np.ndarray], list[str]]:
    """Read every variable of the spec that the file holds, converted to canonical units.

    Returns
    -------
    data, missing
        Canonical name -> array; names of the spec's variables the file lacks.
    """
    check_required(src, spec)
    data: dict[str, np.ndarray] = {}
    missing: list[str] = []
    for name, paths in spec.variables.items():
        path = next((p for p in paths if src.has(p)), None)
        if path is None:
            if name in VARIABLES:
                missing.append(name)
            continue
        values = src.read(path)
        if name in _NO_UNITS:
            data[name] = values
            continue
        canonical = _AUX_UNITS.get(name) or VARIABLES[name].units
        unit = src.units(path)
        if unit is None and name.endswith("_bounds"):
            parent = next((q for q in spec.variables[name[: -len("_bounds")]] if src.has(q)), None)
            unit = src.units(parent) if parent else None  # CF: bounds share the parent's units
        if unit is None:
            unit = spec.units.get(name.removesuffix("_bounds"))
        if name == "ch4_profile_apriori" and unit == "mol m-2":
            data[name] = values  # a layer sub-column: converted by the handler
            continue
        data[name] = values * conversion_factor(unit, canonical, file=src.path, field=path)
    return data, missing


def _version_from_name(path: Path, pattern: str) -> str | None:
    m = re.search(pattern, path.name)
    return m.group(1) if m else None


def _qa_names(spec: ProductSpec) -> set[str]:
    """The variables the product's quality rules read."""
    names = set()
    for rule in spec.qa:
        names.add(rule.keep.variable)
        if rule.applies_if is not None:
            names.add(rule.applies_if.variable)
    return names


# values a retrieval cannot have (the soundings format's rule 6): from a damaged file, or
# a scale factor the product does not use; a typed error, not soundings that fail later
_RANGES = {"qa_value": (0.0, 1.0), "xch4_uncertainty": (0.0, np.inf)}


def _check_ranges(data: dict[str, np.ndarray], ok: np.ndarray, src: SourceFile) -> None:
    for name, (lo, hi) in _RANGES.items():
        if name not in data:
            continue
        values = np.asarray(data[name], dtype=float)[ok]
        with np.errstate(invalid="ignore"):
            bad = int(((values < lo) | (values > hi)).sum())
        if bad:
            raise ObservationError(
                f"{bad} soundings have {name} outside [{lo:g}, {hi:g}]: the file is damaged "
                "or not the product its name says; download it again or leave it out",
                file=src.path,
                field=name,
            )


def _finish(
    data: dict[str, np.ndarray],
    missing: list[str],
    src: SourceFile,
    spec: ProductSpec,
    version: str,
    extra_attrs: dict[str, object] | None = None,
) -> xr.Dataset:
    """Drop soundings without a retrieval or position, then build the dataset."""
    x = data["xch4"]
    lo, hi = XCH4_RANGE_PPB
    ok = np.isfinite(x) & (x >= lo) & (x <= hi)
    for name in ("latitude", "longitude"):
        ok &= np.isfinite(data[name]) & (np.abs(data[name]) <= (90 if name == "latitude" else 180))
    ok &= ~np.isnat(data["time"])
    _check_ranges(data, ok, src)
    attrs = {"soundings_without_retrieval": int((~ok).sum()), **(extra_attrs or {})}
    if src.screen:  # the product's QA in the same filtering pass
        valid = {k: v[ok] for k, v in data.items() if k in _qa_names(spec)}
        keep, dropped = screen(valid, spec.qa, missing, int(ok.sum()), src.path)
        ok[ok] = keep
        attrs.update(qa_applied=1, qa_dropped=json.dumps(dropped, sort_keys=True))
    kept = data if ok.all() else {k: v[ok] for k, v in data.items()}
    return make_soundings(
        kept,
        product=spec.name,
        product_version=version,
        source_file=src.path.name,
        missing=missing,
        attrs=attrs,
    )


_ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z?$")


def _parse_times(values: np.ndarray, src: SourceFile, field: str) -> np.ndarray:
    raw = np.ravel(values)
    if raw.size and all(isinstance(x, str) and _ISO_UTC.match(x) for x in (raw[0], raw[-1])):
        # fast path: ISO 8601 UTC strings (TROPOMI time_utc); numpy parses them
        # without a zone, so the "Z" is dropped first
        try:
            text = np.strings.rstrip(np.strings.strip(raw.astype(str)), "Z")
            return text.astype("datetime64[ns]").reshape(np.shape(values))
        except (ValueError, TypeError):
            pass  # mixed or unusual strings: the general parser below
    flat = [str(v).strip() if v is not None else "" for v in raw]
    try:
        t = pd.to_datetime(pd.Series(flat).replace("", None), utc=True, format="ISO8601")
    except (ValueError, TypeError) as exc:
        raise ObservationError(f"cannot parse times: {exc}", file=src.path, field=field) from exc
    return t.dt.tz_localize(None).to_numpy(dtype="datetime64[ns]").reshape(np.shape(values))


def _flag_to_qa(flag: np.ndarray) -> np.ndarray:
    """Products with a 0 = good flag: qa_value 1 where the flag is 0, else 0."""
    return np.where(np.isfinite(flag), (flag == 0).astype(float), np.nan)


def _layers_to_canonical(data: dict[str, np.ndarray]) -> None:
    """TROPOMI-style layers (top first, prior in mol m-2) -> surface first, prior in ppb.

    The pressure grid is regular: level i lies at ``surface_pressure - i * pressure_interval``
    (Lorente et al. 2021; SRON S5P CH4 ATBD), so layer i (from the surface) has its
    mid-point at ``p_s - (i + 1/2) dp``. Pressure weights are the dry-air sub-columns
    over their sum.
    """
    for name in ("averaging_kernel", "ch4_profile_apriori", "dry_air_subcolumns"):
        if name in data:
            data[name] = data[name][..., ::-1]
    dp = data.pop("pressure_interval", None)
    dry = data.get("dry_air_subcolumns")
    if "ch4_profile_apriori" in data:
        if dry is None:
            del data["ch4_profile_apriori"]
        else:
            with np.errstate(invalid="ignore", divide="ignore"):
                data["ch4_profile_apriori"] = data["ch4_profile_apriori"] / dry * 1e9
    if dry is not None:
        with np.errstate(invalid="ignore", divide="ignore"):
            data["pressure_weight"] = dry / dry.sum(axis=-1, keepdims=True)
    if dp is not None and "surface_pressure" in data and dry is not None:
        i = np.arange(dry.shape[-1]) + 0.5
        data["pressure_levels"] = data["surface_pressure"][..., None] - i * dp[..., None]


def read_uol_proxy(src: SourceFile, spec: ProductSpec) -> xr.Dataset:
    """University of Leicester GOSAT proxy XCH4 (ESA CCI v7.2 / UoL v9.0), flat netCDF."""
    data, missing = load(src, spec)
    unit = src.units("time") or ""
    if not unit.startswith("seconds since 1970-01-01"):
        raise ObservationError(f"time units '{unit}' not understood", file=src.path, field="time")
    data["time"] = (data["time"] * 1e9).astype("datetime64[ns]")
    data["qa_value"] = _flag_to_qa(data["quality_flag"])
    version = src.attrs.get("product_version") or _version_from_name(src.path, r"-fv([\d.]+)\.nc$")
    return _finish(data, missing, src, spec, str(version or "unknown"))


def read_tropomi_l2(src: SourceFile, spec: ProductSpec) -> xr.Dataset:
    """TROPOMI operational L2 CH4: (time, scanline, ground_pixel) grids, flattened."""
    data, missing = load(src, spec)
    lat = data["latitude"]
    shape = lat.shape[:3]
    ref = src.read("PRODUCT/time").ravel()[0]
    unit = src.units("PRODUCT/time") or ""
    if not unit.startswith("seconds since 2010-01-01"):
        raise ObservationError(f"time units '{unit}' not understood", file=src.path, field="time")
    delta = src.read("PRODUCT/delta_time")  # (time, scanline) [ms]
    t0 = np.datetime64("2010-01-01T00:00:00", "ns") + np.timedelta64(int(ref), "s")
    with np.errstate(invalid="ignore"):
        dt = np.where(np.isfinite(delta), delta, np.nan)
    times = np.where(
        np.isfinite(dt),
        t0 + (np.nan_to_num(dt) * 1e6).astype("timedelta64[ns]"),
        np.datetime64("NaT"),
    )
    data["time"] = np.broadcast_to(times[..., None], shape)
    attrs = {"xch4_source": next(p for p in spec.variables["xch4"] if src.has(p))}
    if shape[0] == 1:  # one orbit: keep each pixel's (scanline, ground_pixel) as a scene
        data["scene_row"], data["scene_col"] = (
            np.broadcast_to(i[None], shape) for i in np.indices(shape[1:])
        )
        attrs["scene_shape"] = [int(shape[1]), int(shape[2])]
    n = int(np.prod(shape))
    flat = {k: v.reshape((n, *v.shape[3:])) for k, v in data.items()}
    _layers_to_canonical(flat)
    version = src.attrs.get("processor_version") or _version_from_name(
        src.path, r"_\d{5}_\d{2}_(\d{6})_"
    )
    return _finish(flat, missing, src, spec, str(version or "unknown"), attrs)


def read_blended(src: SourceFile, spec: ProductSpec) -> xr.Dataset:
    """Blended TROPOMI+GOSAT (orbit files and IMI super-observation files), flat netCDF."""
    data, missing = load(src, spec)
    data["time"] = _parse_times(data["time"], src, "time_utc")
    _layers_to_canonical(data)
    code = _version_from_name(src.path, r"_\d{5}_\d{2}_(\d{6})_")
    version = f"{code[:2]}.{code[2:4]}.{code[4:]}" if code else "unknown"
    return _finish(data, missing, src, spec, version)


def read_plume_patch(src: SourceFile, spec: ProductSpec) -> xr.Dataset:
    """A TROPOMI plume patch (.npz, rows x cols pixels) read as a small scene.

    ``scene_row`` and ``scene_col`` keep each pixel's place, so the scene can be
    rebuilt; ``time`` (one value per row) is broadcast along the row.
    """
    data, missing = load(src, spec)
    lat = data["latitude"]
    if lat.ndim != 2:
        raise ObservationError(f"lat has shape {lat.shape}; expected 2-D", file=src.path)
    rows, cols = lat.shape
    t = _parse_times(np.asarray([str(np.datetime64(v, "ns")) for v in data["time"]]), src, "time")
    if t.shape != (rows,):
        raise ObservationError(f"time has shape {t.shape}; expected ({rows},)", file=src.path)
    data["time"] = np.broadcast_to(t[:, None], (rows, cols))
    data["scene_row"], data["scene_col"] = np.indices((rows, cols))
    flat = {k: np.asarray(v).reshape((rows * cols, *np.shape(v)[2:])) for k, v in data.items()}
    attrs = {"scene_shape": [rows, cols]}
    ds = _finish(flat, missing, src, spec, "methane-super-emitters", attrs)
    if ds.attrs["soundings_without_retrieval"] == rows * cols:  # a scene with no data at all
        raise NoSoundingsError(
            f"no pixel of the {rows} x {cols} patch has a retrieval (methane all NaN or out "
            "of range, or no position or time): there is no scene to use; check the file "
            "or leave it out",
            file=src.path,
        )
    return ds


_LEVEL_VARS = ("averaging_kernel", "ch4_profile_apriori", "pressure_levels", "pressure_weight")


def _levels_to_layers(data: dict[str, np.ndarray], src: SourceFile) -> None:
    """Bring level variables to one vertical grid, surface first.

    GOSAT-2 FTS-2 SWIR L2 gives ``pressure_level`` on the layer boundaries (one
    more than the layers of the kernel and the profiles): the boundaries become
    layer mid-points. A grid stored top first is flipped, for every level variable.
    """
    ref = next((data[n] for n in _LEVEL_VARS[:2] if n in data), None)
    p = data.get("pressure_levels")
    if p is None:
        return
    if ref is not None and p.shape[-1] == ref.shape[-1] + 1:
        p = 0.5 * (p[..., 1:] + p[..., :-1])
        data["pressure_levels"] = p
    sizes = {data[n].shape[-1] for n in _LEVEL_VARS if n in data}
    if len(sizes) > 1:
        raise ObservationError(
            f"level variables have different level counts {sorted(sizes)}", file=src.path
        )
    with np.errstate(invalid="ignore"):
        top_first = np.nanmean(p[..., 0]) < np.nanmean(p[..., -1])
    if top_first:
        for name in _LEVEL_VARS:
            if name in data:
                data[name] = data[name][..., ::-1]


def read_gosat_nies(src: SourceFile, spec: ProductSpec) -> xr.Dataset:
    """NIES GOSAT TANSO-FTS and GOSAT-2 TANSO-FTS-2 SWIR L2 (HDF5, 0 = good flags)."""
    data, missing = load(src, spec)
    path = spec.variables["time"][0]
    data["time"] = _parse_times(data["time"], src, path)
    _levels_to_layers(data, src)
    data["qa_value"] = _flag_to_qa(data["quality_flag"])
    version = _version_from_name(src.path, r"_02(?:C02S|SWFP)(\w+)\.h5$") or "unknown"
    return _finish(data, missing, src, spec, version)


def read_not_published(src: SourceFile, spec: ProductSpec) -> xr.Dataset:
    """Products known by name whose layout is not yet published (GOSAT-GW TANSO-3)."""
    raise NotYetPublishedError(
        f"recognised as {spec.name} ({spec.description}), but its L2 layout is not yet "
        f"published ({spec.reference}); openmrv cannot read it yet",
        file=src.path,
    )


HANDLERS: dict[str, Handler] = {
    "gosat_uol_proxy": read_uol_proxy,
    "tropomi_ch4_l2": read_tropomi_l2,
    "tropomi_gosat_blended": read_blended,
    "tropomi_gosat_blended_superobs": read_blended,
    "tropomi_plume_patch": read_plume_patch,
    "gosat_nies_swir_l2": read_gosat_nies,
    "gosat2_nies_swir_l2": read_gosat_nies,
    "gosat_gw_tanso3_l2": read_not_published,
}
