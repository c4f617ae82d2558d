"""Uniform, read-only access to netCDF4, HDF5 and numpy ``.npz`` files (private).

Each opener returns a small object with ``has(path)``, ``read(path)``, ``units(path)``
and ``attrs``; fill values become NaN. Failures to open are turned into
:class:`~openmrv.errors.CorruptFileError` naming the file.
"""

from __future__ import annotations

import pickle
import tokenize
import zipfile
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from openmrv.errors import CorruptFileError, UnitError

# what a damaged file can raise while it is opened or read
READ_ERRORS: tuple[type[Exception], ...] = (
    OSError,
    RuntimeError,
    KeyError,
    IndexError,
    ValueError,
    TypeError,
    EOFError,
    OverflowError,
    zipfile.BadZipFile,
    zlib.error,
    pickle.UnpicklingError,
    SyntaxError,  # numpy parses a damaged .npy header with ast
    tokenize.TokenError,
)

# canonical unit -> {unit string found in files -> factor to the canonical unit}
CONVERSIONS: dict[str, dict[str, float]] = {
    "ppb": {"1e-9": 1.0, "ppb": 1.0, "ppbv": 1.0, "1e-6": 1e3, "ppm": 1e3, "mol mol-1": 1e9},
    "ppm": {"1e-6": 1.0, "ppm": 1.0, "ppmv": 1.0, "1e-9": 1e-3, "ppb": 1e-3, "mol mol-1": 1e6},
    "Pa": {"Pa": 1.0, "hPa": 100.0, "hpa": 100.0, "mbar": 100.0, "millibars": 100.0},
    "degrees_north": {"degrees_north": 1.0, "deg": 1.0, "degree": 1.0, "degrees": 1.0},
    "degrees_east": {"degrees_east": 1.0, "deg": 1.0, "degree": 1.0, "degrees": 1.0},
    "1": {"1": 1.0, "": 1.0, "none": 1.0},
    "mol m-2": {"mol m-2": 1.0, "mol/m2": 1.0, "mol m^-2": 1.0},
    "m s-1": {"m s-1": 1.0, "m/s": 1.0, "m s**-1": 1.0},
    "m": {"m": 1.0, "metres": 1.0, "meters": 1.0},
    "K": {"K": 1.0, "kelvin": 1.0},
}


def conversion_factor(unit: str | None, canonical: str, *, file: Path, field: str) -> float:
    """Factor from ``unit`` (as found in ``file``) to the canonical unit.

    Raises
    ------
    openmrv.errors.UnitError
        If the unit is missing or not one openmrv knows for this quantity.
    """
    table = CONVERSIONS[canonical]
    if unit is None:
        raise UnitError(
            f"has no units attribute; expected one of {sorted(table)}", file=file, field=field
        )
    key = unit.strip()
    if key not in table:
        raise UnitError(
            f"unknown unit '{unit}' for a quantity in {canonical}; known: {sorted(table)}",
            file=file,
            field=field,
        )
    return table[key]


def _text(value: Any) -> str:
    if isinstance(value, np.ndarray):
        value = value.ravel()[0] if value.size else ""
    if isinstance(value, bytes | np.bytes_):
        value = value.decode("utf-8", "replace")
    return str(value).strip()


class SourceFile(Protocol):
    """What a reader needs from an open file."""

    path: Path
    attrs: Mapping[str, str]
    #: set by ``read_soundings(qa=True)``: readers screen by the product's rules as they
    #: filter (``readers._finish``)
    screen: bool

    def has(self, name: str) -> bool: ...

    def read(self, name: str) -> np.ndarray: ...

    def units(self, name: str) -> str | None: ...

    def close(self) -> None: ...


class NetCDFFile:
    """A netCDF4 file; variable names may contain groups (``PRODUCT/qa_value``)."""

    screen = False

    def __init__(self, path: Path) -> None:
        import netCDF4

        self.path = path
        try:
            self._ds = netCDF4.Dataset(path, "r")
        except (OSError, RuntimeError, ValueError) as exc:
            raise CorruptFileError(f"cannot open as netCDF4: {exc}", file=path) from exc
        try:
            self.attrs = {k: _text(self._ds.getncattr(k)) for k in self._ds.ncattrs()}
        except READ_ERRORS as exc:
            self._ds.close()
            raise CorruptFileError(f"cannot read the global attributes: {exc}", file=path) from exc

    def _var(self, name: str):
        group, _, var = name.rpartition("/")
        g = self._ds
        for part in [p for p in group.split("/") if p]:
            g = g.groups[part]
        return g.variables[var]

    def has(self, name: str) -> bool:
        try:
            self._var(name)
        except KeyError:
            return False
        return True

    def read(self, name: str) -> np.ndarray:
        v = self._var(name)
        if v.dtype is str or getattr(v.dtype, "kind", "") in "SUO":
            return np.asarray(v[...], dtype=object)
        return _unpack(v)

    def units(self, name: str) -> str | None:
        v = self._var(name)
        return _text(v.getncattr("units")) if "units" in v.ncattrs() else None

    def close(self) -> None:
        self._ds.close()


def _unpack(v: Any) -> np.ndarray:
    """Read a numeric netCDF variable as float64 with NaN for missing values.

    The CF rules netCDF4's masked arrays apply -- ``_FillValue`` (or the netCDF
    default fill), ``missing_value``, ``valid_min``/``valid_max``/``valid_range``
    on the packed values, then ``scale_factor`` and ``add_offset`` -- applied here
    on plain arrays, which is faster than building masked arrays.
    """
    import netCDF4

    v.set_auto_maskandscale(False)
    raw = np.asarray(v[...])
    attrs = set(v.ncattrs())
    tests: list[np.ndarray] = []  # packed values that mean "missing"
    if "_FillValue" in attrs:
        tests.append(raw == v.getncattr("_FillValue"))
    elif raw.dtype.itemsize > 1 and raw.dtype.str[1:] in netCDF4.default_fillvals:
        tests.append(raw == netCDF4.default_fillvals[raw.dtype.str[1:]])
    if "missing_value" in attrs:
        tests.extend(raw == value for value in np.ravel(v.getncattr("missing_value")))
    if "valid_range" in attrs:
        lo, hi = np.ravel(v.getncattr("valid_range"))[:2]
        tests.append((raw < lo) | (raw > hi))
    if "valid_min" in attrs:
        tests.append(raw < v.getncattr("valid_min"))
    if "valid_max" in attrs:
        tests.append(raw > v.getncattr("valid_max"))
    data = raw  # scaled in the type of scale_factor, as netCDF4 does (0.01 as float32
    if "scale_factor" in attrs:  # times 100 gives exactly 1.0, as the product intends)
        data = data * v.getncattr("scale_factor")
    if "add_offset" in attrs:
        data = data + v.getncattr("add_offset")
    # one float64 array; NaN stays NaN
    out = data.astype(np.float64, copy=False)  # raw is a fresh array read from the file
    if tests:
        np.putmask(out, tests[0] if len(tests) == 1 else np.logical_or.reduce(tests), np.nan)
    return out


class HDF5File:
    """An HDF5 file read with h5py; units from the ``unit`` (NIES) or ``units`` attribute."""

    screen = False

    def __init__(self, path: Path) -> None:
        import h5py

        self.path = path
        try:
            self._f = h5py.File(path, "r")
        except (OSError, RuntimeError, ValueError) as exc:
            raise CorruptFileError(f"cannot open as HDF5: {exc}", file=path) from exc
        try:  # a damaged root group opens but fails here
            self.attrs = {k: _text(v) for k, v in self._f.attrs.items()}
        except READ_ERRORS as exc:
            self._f.close()
            raise CorruptFileError(f"cannot read the HDF5 root group: {exc}", file=path) from exc

    def has(self, name: str) -> bool:
        return name in self._f

    def read(self, name: str) -> np.ndarray:
        d = self._f[name]
        data = d[()]
        if data.dtype.kind in "SO":
            return np.array([_text(x) for x in np.ravel(data)], dtype=object)
        out = np.asarray(data, dtype=np.float64)
        for key in ("_FillValue", "fillValue", "invalidValue"):
            if key in d.attrs:
                out[out == float(np.ravel(d.attrs[key])[0])] = np.nan
        return out

    def units(self, name: str) -> str | None:
        attrs = self._f[name].attrs
        for key in ("unit", "units"):
            if key in attrs:
                return _text(attrs[key])
        return None

    def close(self) -> None:
        self._f.close()


class NpzFile:
    """A numpy ``.npz`` archive (object arrays allowed: the plume patches store datetimes)."""

    screen = False

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh = open(path, "rb")  # closed in close(), or below on failure
        try:
            self._z = np.load(self._fh, allow_pickle=True)
            if not hasattr(self._z, "files"):
                raise ValueError("not an .npz archive")
            self._keys = set(self._z.files)
        except READ_ERRORS as exc:
            self._fh.close()
            raise CorruptFileError(f"cannot open as .npz: {exc}", file=path) from exc
        self.attrs: dict[str, str] = {}

    def has(self, name: str) -> bool:
        return name in self._keys

    def read(self, name: str) -> np.ndarray:
        data = self._z[name]
        if data.dtype.kind == "O":
            return data
        return np.asarray(data, dtype=np.float64)

    def units(self, name: str) -> str | None:
        return None

    def close(self) -> None:
        self._z.close()
        self._fh.close()


OPENERS = {"netcdf": NetCDFFile, "hdf5": HDF5File, "npz": NpzFile}
