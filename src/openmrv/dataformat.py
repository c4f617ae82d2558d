"""The openmrv emissions dataset: an xarray Dataset in primap2's layout, plus checks.

The format is written down in ``docs/data-format.md``; :func:`ensure_valid`
implements it as one small check per rule. In short:

- dimensions ``time`` (datetime64, one value per year, 1 January),
  ``area (ISO3)``, ``category (<system>)`` and ``source``;
- one float data variable per gas (``CO2``, ``CH4``, ``N2O`` ...) with attributes
  ``entity`` and ``units`` (``Gg CH4 / yr``); CO2-equivalent totals are separate
  variables named ``<ENTITY> (<GWP set>)`` with attribute ``gwp_context``;
- openmrv's additions, ignored by primap2: for each gas a string variable
  ``notation_key (<gas>)`` (``""`` where a number is given, else one of
  NO, NE, NA, IE, C) and ``tier (<gas>)``;
- dataset attributes ``area``, ``cat`` (the dimension names), ``title``,
  ``references``, ``institution``, ``comment``.

:func:`write_interchange` / :func:`read_interchange` write and read primap2's
*interchange format* (a wide CSV with one column per year plus a YAML file of
metadata), the way inventories move between tools.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr
import yaml

from openmrv import gwp as _gwp
from openmrv.categories import CATEGORY_SYSTEMS, check_code
from openmrv.errors import DataFormatError, InputError
from openmrv.gases import GASES as GASES  # re-exported: the data format's gases
from openmrv.units import parse_unit

NOTATION_KEYS: tuple[str, ...] = ("NO", "NE", "NA", "IE", "C")
_GWP_VAR = re.compile(r"^(?P<entity>[A-Za-z0-9]+) \((?P<gwp>[A-Za-z0-9]+)\)$")
_AUX_VAR = re.compile(r"^(?P<role>notation_key|tier) \((?P<entity>[A-Za-z0-9]+)\)$")


def _cat_dim(ds: xr.Dataset) -> str:
    return str(ds.attrs.get("cat", ""))


def check_dims(ds: xr.Dataset) -> None:
    """Rule 1: the dimensions time, area (ISO3), category (<system>), source exist."""
    cat = _cat_dim(ds)
    m = re.fullmatch(r"category \((\w+)\)", cat)
    if not m or m.group(1) not in CATEGORY_SYSTEMS:
        raise DataFormatError(
            f"attribute 'cat' is '{cat}'; expected 'category (IPCC2006)'", field="attrs.cat"
        )
    if ds.attrs.get("area") != "area (ISO3)":
        raise DataFormatError("attribute 'area' must be 'area (ISO3)'", field="attrs.area")
    for dim in ("time", "area (ISO3)", cat, "source"):
        if dim not in ds.dims:
            raise DataFormatError(f"dimension '{dim}' is missing (have {list(ds.dims)})", field=dim)


def check_time(ds: xr.Dataset) -> None:
    """Rule 2: time is datetime64, strictly increasing, on 1 January."""
    t = ds["time"].values
    if not np.issubdtype(t.dtype, np.datetime64):
        raise DataFormatError(f"time has dtype {t.dtype}; expected datetime64", field="time")
    idx = pd.DatetimeIndex(t)
    if not (idx.is_monotonic_increasing and idx.is_unique):
        raise DataFormatError("time values are not unique and increasing", field="time")
    if not ((idx.month == 1) & (idx.day == 1)).all():
        raise DataFormatError("time values must be 1 January of each year", field="time")


def check_categories(ds: xr.Dataset) -> None:
    """Rule 3: every category code exists in the named category system."""
    cat = _cat_dim(ds)
    name = cat[len("category (") : -1]
    for code in ds[cat].values:
        try:
            check_code(str(code), name, field=cat)
        except InputError as exc:
            raise DataFormatError(exc.message, field=cat) from None
    if len(set(ds[cat].values.tolist())) != ds.sizes[cat]:
        raise DataFormatError("category codes are duplicated", field=cat)


def check_entities(ds: xr.Dataset) -> None:
    """Rule 4: each gas variable has an entity and a unit of mass per time of that gas."""
    for name, var in ds.data_vars.items():
        name = str(name)
        if _AUX_VAR.match(name):
            continue
        entity = var.attrs.get("entity")
        units = var.attrs.get("units")
        if not entity or not units:
            raise DataFormatError("data variable needs attributes 'entity' and 'units'", field=name)
        m = _GWP_VAR.match(name)
        if m:
            if var.attrs.get("gwp_context") != m.group("gwp"):
                raise DataFormatError(
                    f"attribute gwp_context must be '{m.group('gwp')}'", field=name
                )
            _gwp.check_gwp_set(m.group("gwp"))
            gas_unit = "CO2"
        else:
            if name != entity:
                raise DataFormatError(f"variable name must equal its entity '{entity}'", field=name)
            gas_unit = entity
        want = parse_unit(f"Gg {gas_unit} / yr")
        have = parse_unit(units, field=f"{name}.units")
        if have.dimensionality != want.dimensionality:
            raise DataFormatError(
                f"units '{units}' are not a mass of {gas_unit} per time", field=name
            )
        if not np.issubdtype(var.dtype, np.floating):
            raise DataFormatError(f"dtype {var.dtype} is not floating point", field=name)


def check_notation_keys(ds: xr.Dataset) -> None:
    """Rule 5: a cell holds a number or a notation key, never both; keys are valid."""
    for name, var in ds.data_vars.items():
        m = _AUX_VAR.match(str(name))
        if not m:
            continue
        entity = m.group("entity")
        if entity not in ds.data_vars:
            raise DataFormatError(f"auxiliary variable for unknown gas '{entity}'", field=str(name))
        if var.dims != ds[entity].dims:
            raise DataFormatError(f"dims {var.dims} differ from {ds[entity].dims}", field=str(name))
        if m.group("role") != "notation_key":
            continue
        keys = np.asarray(var.values, dtype=str)
        bad = set(np.unique(keys)) - {"", *NOTATION_KEYS}
        if bad:
            raise DataFormatError(
                f"unknown notation keys {sorted(bad)}; use {', '.join(NOTATION_KEYS)}",
                field=str(name),
            )
        values = ds[entity].values
        both = (keys != "") & ~np.isnan(values)
        if both.any():
            raise DataFormatError("cells hold both a number and a notation key", field=str(name))


def check_values(ds: xr.Dataset) -> None:
    """Rule 6: no infinite values (negative values are allowed: removals)."""
    for name, var in ds.data_vars.items():
        if np.issubdtype(var.dtype, np.floating) and np.isinf(var.values).any():
            raise DataFormatError("contains infinite values", field=str(name))


RULES = (
    check_dims,
    check_time,
    check_categories,
    check_entities,
    check_notation_keys,
    check_values,
)


def ensure_valid(ds: xr.Dataset) -> xr.Dataset:
    """Check ``ds`` against every rule of the data format; return it unchanged.

    Raises
    ------
    DataFormatError
        Naming the rule's field and what is wrong.
    """
    for rule in RULES:
        rule(ds)
    return ds


def years(ds: xr.Dataset) -> list[int]:
    """The years of a dataset's time axis."""
    return [int(y) for y in pd.DatetimeIndex(ds["time"].values).year]


def year_index(year_list: Iterable[int]) -> pd.DatetimeIndex:
    """A time coordinate for the given years (1 January of each)."""
    return pd.DatetimeIndex([pd.Timestamp(year=int(y), month=1, day=1) for y in year_list])


# --- primap2 interchange format ----------------------------------------------------------


def to_interchange_frame(ds: xr.Dataset, notation_keys: bool = False) -> pd.DataFrame:
    """The wide table of primap2's interchange format (one row per series, a column per year).

    primap2 interchange files hold numbers only; with ``notation_keys`` the same
    layout holds the notation keys instead (openmrv's side file).
    """
    ensure_valid(ds)
    cat = _cat_dim(ds)
    ys = [str(y) for y in years(ds)]
    rows = []
    for name, var in ds.data_vars.items():
        name = str(name)
        if _AUX_VAR.match(name):
            continue
        nk = ds.get(f"notation_key ({name})")
        if notation_keys and nk is None:
            continue
        for area in ds["area (ISO3)"].values:
            for source in ds["source"].values:
                for code in ds[cat].values:
                    sel = {"area (ISO3)": area, "source": source, cat: code}
                    if notation_keys:
                        cells: list[object] = [str(k) for k in nk.sel(sel).values]
                        keep = any(cells)
                    else:
                        vals = var.sel(sel).values
                        cells = [float(v) if not np.isnan(v) else "" for v in vals]
                        keep = not np.isnan(vals).all()
                    if keep:
                        rows.append(
                            [str(area), str(code), str(source), name, var.attrs["units"], *cells]
                        )
    return pd.DataFrame(rows, columns=["area (ISO3)", cat, "source", "entity", "unit", *ys])


def write_interchange(ds: xr.Dataset, path: str | Path) -> Path:
    """Write ``ds`` as primap2 interchange format: ``<path>.csv`` and ``<path>.yaml``.

    Notation keys, which primap2's interchange files cannot hold, go to
    ``<path>.notation_keys.csv`` in the same layout; :func:`read_interchange` reads it
    back when present, primap2 ignores it.
    """
    path = Path(path).with_suffix("")
    frame = to_interchange_frame(ds)
    to_interchange_frame(ds, notation_keys=True).to_csv(
        path.with_suffix(".notation_keys.csv"), index=False
    )
    allowed = (
        "area",
        "cat",
        "scen",
        "references",
        "rights",
        "contact",
        "title",
        "comment",
        "institution",
    )
    attrs = {k: str(v) for k, v in ds.attrs.items() if k in allowed}
    meta = {
        "attrs": attrs,
        "time_format": "%Y",
        "dimensions": {"*": list(frame.columns[:5])},
        "data_file": path.with_suffix(".csv").name,
    }
    tmp_csv = path.with_suffix(".csv.part")
    frame.to_csv(tmp_csv, index=False)
    tmp_csv.replace(path.with_suffix(".csv"))
    path.with_suffix(".yaml").write_text(yaml.safe_dump(meta, sort_keys=False))
    return path.with_suffix(".yaml")


def read_interchange(path: str | Path) -> xr.Dataset:
    """Read primap2 interchange format (YAML metadata + wide CSV) into an openmrv dataset."""
    path = Path(path)
    meta_path = path if path.suffix in (".yaml", ".yml") else path.with_suffix(".yaml")
    try:
        meta = yaml.safe_load(meta_path.read_text())
    except FileNotFoundError:
        raise InputError("interchange metadata file not found", file=meta_path) from None
    except yaml.YAMLError as exc:
        raise InputError(f"is not valid YAML ({exc})", file=meta_path) from None
    attrs = meta.get("attrs", {})
    cat = attrs.get("cat", "category (IPCC2006)")
    data_path = meta_path.with_name(meta.get("data_file", meta_path.with_suffix(".csv").name))
    frame = pd.read_csv(data_path, dtype=str, keep_default_na=False)
    side = data_path.with_suffix(".notation_keys.csv")
    if side.is_file():
        frame = pd.concat([frame, pd.read_csv(side, dtype=str, keep_default_na=False)])
    year_cols = [c for c in frame.columns if c.isdigit()]
    if not year_cols:
        raise InputError("no year columns found", file=data_path)
    t = year_index(int(y) for y in year_cols)
    areas = sorted(frame["area (ISO3)"].unique())
    sources = sorted(frame["source"].unique())
    codes = list(dict.fromkeys(frame[cat]))
    data_vars: dict[str, xr.DataArray] = {}
    for entity, sub in frame.groupby("entity", sort=False):
        entity = str(entity)
        shape = (len(t), len(areas), len(codes), len(sources))
        values = np.full(shape, np.nan)
        keys = np.full(shape, "", dtype=object)
        for _, r in sub.iterrows():
            i_a, i_c, i_s = (
                areas.index(r["area (ISO3)"]),
                codes.index(r[cat]),
                sources.index(r["source"]),
            )
            for i_t, y in enumerate(year_cols):
                cell = r[y].strip()
                if cell in NOTATION_KEYS:
                    keys[i_t, i_a, i_c, i_s] = cell
                elif cell:
                    values[i_t, i_a, i_c, i_s] = float(cell)
        dims = ("time", "area (ISO3)", cat, "source")
        m = _GWP_VAR.match(entity)
        var_attrs = {"entity": m.group("entity") if m else entity, "units": sub["unit"].iloc[0]}
        if m:
            var_attrs["gwp_context"] = m.group("gwp")
        data_vars[entity] = xr.DataArray(values, dims=dims, attrs=var_attrs)
        if (keys != "").any():
            data_vars[f"notation_key ({entity})"] = xr.DataArray(keys.astype(str), dims=dims)
    ds = xr.Dataset(
        data_vars,
        coords={"time": t, "area (ISO3)": areas, cat: codes, "source": sources},
        attrs=dict(attrs),
    )
    return ensure_valid(ds)
