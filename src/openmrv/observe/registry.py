"""The reader registry: product specs paired with handlers, found by file name and attributes.

Other packages add readers through the entry-point group ``openmrv.readers``; each
entry point names a :class:`Reader` (a spec plus a handler)::

    [project.entry-points."openmrv.readers"]
    my_product = "my_package.readers:MY_READER"
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path

import xarray as xr

from openmrv.errors import CorruptFileError, InputError, ObservationError, UnknownProductError
from openmrv.observe import isolation
from openmrv.observe._files import OPENERS, READ_ERRORS, SourceFile
from openmrv.observe.products import BUILTIN_SPECS, ProductSpec
from openmrv.observe.readers import HANDLERS, Handler

ENTRY_POINT_GROUP = "openmrv.readers"
_SUFFIX_FORMAT = {".nc": "netcdf", ".nc4": "netcdf", ".h5": "hdf5", ".he5": "hdf5", ".npz": "npz"}


@dataclass(frozen=True)
class Reader:
    """A product spec and the handler that reads it."""

    spec: ProductSpec
    read: Handler


_BUILTIN: dict[str, Reader] = {s.name: Reader(s, HANDLERS[s.name]) for s in BUILTIN_SPECS}
_EXTRA: dict[str, Reader] = {}


def register(reader: Reader) -> None:
    """Add (or replace) a reader at run time, e.g. in a test or a notebook."""
    _EXTRA[reader.spec.name] = reader


_ENTRY_POINTS: dict[str, Reader] | None = None  # scanned once per process (it is slow)


def _entry_point_readers(refresh: bool) -> dict[str, Reader]:
    global _ENTRY_POINTS
    if _ENTRY_POINTS is None or refresh:
        found: dict[str, Reader] = {}
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            obj = ep.load()
            if not isinstance(obj, Reader):
                raise ObservationError(
                    f"entry point '{ep.name}' in group {ENTRY_POINT_GROUP} gives "
                    f"{type(obj).__name__}; expected openmrv.observe.registry.Reader"
                )
            found[obj.spec.name] = obj
        _ENTRY_POINTS = found
    return _ENTRY_POINTS


def readers(refresh: bool = False) -> dict[str, Reader]:
    """All readers: built in, then entry points, then :func:`register` calls.

    Entry points are scanned on the first call only (scanning the installed
    distributions costs about 10 ms, as much as reading a small orbit); pass
    ``refresh=True`` after installing a package that adds readers.
    """
    out = dict(_BUILTIN)
    out.update(_entry_point_readers(refresh))
    out.update(_EXTRA)
    return out


def _attributes_match(src: SourceFile, spec: ProductSpec) -> bool:
    return bool(spec.attributes) and all(
        re.search(rx, src.attrs.get(k, "")) for k, rx in spec.attributes.items()
    )


def identify(path: str | Path) -> Reader:
    """Pick the reader for a file from its name, or else from its global attributes.

    Raises
    ------
    openmrv.errors.UnknownProductError
        No reader recognises the file; the message lists the known products.
    openmrv.errors.CorruptFileError
        The file cannot be opened (only opened when its name is not recognised).
    """
    path = Path(path)
    known = readers()
    by_name = [r for r in known.values() if re.match(r.spec.filename, path.name)]
    if len(by_name) == 1:
        return by_name[0]
    fmt = _SUFFIX_FORMAT.get(path.suffix.lower())
    candidates = by_name or [r for r in known.values() if r.spec.format == fmt]
    if fmt is not None and candidates:
        src = OPENERS[fmt](path)
        try:
            matched = [r for r in candidates if _attributes_match(src, r.spec)]
        finally:
            src.close()
        if len(matched) == 1:
            return matched[0]
    names = ", ".join(sorted(known))
    raise UnknownProductError(
        f"no reader recognises this file by its name or attributes; known products: {names}",
        file=path,
    )


def read_soundings(path: str | Path, product: str | None = None, *, qa: bool = False) -> xr.Dataset:
    """Read one satellite file into the canonical soundings dataset.

    Parameters
    ----------
    path
        The file.
    product
        The registry name of its product; by default chosen by :func:`identify`.
    qa
        Screen by the product's quality rules while reading (one filtering pass, faster
        than screening afterwards); :func:`openmrv.observe.qa.apply_qa` then returns the
        dataset as it is with the counts of what was dropped. Readers from other
        packages that do not screen leave the screening to ``apply_qa``.

    A netCDF4/HDF5 file is read in a separate process with a time limit (see
    :mod:`openmrv.observe.isolation`): a damaged file that makes the C libraries loop
    forever is stopped and refused.

    Returns
    -------
    xarray.Dataset
        Soundings (see ``docs/data-format.md``); unscreened unless ``qa``: apply
        :func:`openmrv.observe.qa.apply_qa` for the product's quality screening.

    Raises
    ------
    openmrv.errors.InputError
        A subclass naming the file: unknown product, corrupt or truncated file,
        missing variables, unknown units, or a product whose layout is unpublished; a
        read that did not finish in time (:class:`~openmrv.errors.CorruptFileError`).
    """
    path = Path(path)
    if isolation.wanted(path):
        return in_reading_process(path, read_soundings, path, product, qa=qa)
    if not path.is_file():
        raise ObservationError("no such file", file=path)
    if product is None:
        reader = identify(path)
    else:
        known = readers()
        if product not in known:
            raise UnknownProductError(
                f"unknown product '{product}'; known: {', '.join(sorted(known))}", file=path
            )
        reader = known[product]
    if not reader.spec.published:
        return reader.read(_Unopened(path), reader.spec)
    src = OPENERS[reader.spec.format](path)
    src.screen = qa
    try:
        return reader.read(src, reader.spec)
    except InputError:
        raise
    except READ_ERRORS as exc:
        raise CorruptFileError(
            f"cannot be read as {reader.spec.name} ({type(exc).__name__}: {exc})", file=path
        ) from exc
    finally:
        src.close()


def in_reading_process(path: Path, fn, *args, **kwargs):
    """``fn(*args, **kwargs)`` run by :func:`openmrv.observe.isolation.call` for
    ``path``, with the readers registered here at run time registered there too."""
    return isolation.call(path, _with_readers, dict(_EXTRA), fn, *args, **kwargs)


def _with_readers(extra: dict[str, Reader], fn, *args, **kwargs):
    """In the reading process: ``fn`` with ``extra`` registered (as in the caller)."""
    saved = dict(_EXTRA)
    _EXTRA.update(extra)
    try:
        return fn(*args, **kwargs)
    finally:
        _EXTRA.clear()
        _EXTRA.update(saved)


class _Unopened:
    """Stands in for a file whose format openmrv cannot read yet."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.attrs: dict[str, str] = {}
