"""What an ``openmrv fetch`` cache holds for a case's inversion: the soundings and the
joined winds file of its period, so that ``openmrv run`` takes the real-data path
whenever the cache has the data (docs/fetch.md, "From the cache to the run").

Rules (science-free, the same for every case):

- the cache is ``<case>/cache`` (the default of ``openmrv fetch``), read only through its
  manifest; a file the manifest does not list is not used;
- sounding products are the rows of ``data/products.csv`` whose ``used_by`` names
  inversion soundings, taken in the table's order; the first with files in the period is
  used and only that one (retrievals of different instruments carry different biases and
  are not mixed silently);
- a file is in the period when the first date ``YYYYMMDD`` in its name lies within it
  (every sounding product's file names start with their day);
- winds: the joined file of a joined product (``openmrv_join_months``) for exactly the
  period, as ``openmrv fetch`` names it; a joined product whose request asks for
  ``pressure_level`` (ERA5 on pressure levels) is kept apart as ``winds_levels``, for
  the boundary-layer-mean wind that the inversion reads with the single levels' surface
  pressure;
- prior geography: the EDGAR sector files of the prior's year (``edgar_files``).

The files found are re-verified against the manifest when the inversion reads them
(:func:`openmrv.fetch.cache.check_cached`): a file changed since it was fetched stops the
run with an error naming it, it is never skipped silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from openmrv.fetch.cache import MANIFEST, Cache
from openmrv.fetch.join import JOIN_KEY, joined_path
from openmrv.fetch.products import load_products

#: the folder of a case that ``openmrv fetch`` fills by default
CACHE_FOLDER = "cache"
#: the words of ``used_by`` that mark a product as the inversion's soundings
SOUNDINGS_USE = "inversion soundings"
_DATE = re.compile(r"(?<!\d)((?:19|20)\d{2})(\d{2})(\d{2})")


@dataclass
class CachedInputs:
    """The inversion inputs found in a case's cache."""

    soundings: list[Path] = field(default_factory=list)
    product: str | None = None  # the product the soundings come from
    winds: Path | None = None
    winds_product: str | None = None
    winds_levels: Path | None = None  # the joined pressure-level file, if any


def file_day(name: str) -> pd.Timestamp | None:
    """The first valid ``YYYYMMDD`` date in a file name, or None."""
    for m in _DATE.finditer(name):
        try:
            return pd.Timestamp(f"{m.group(1)}-{m.group(2)}-{m.group(3)}")
        except ValueError:
            continue
    return None


def cached_inversion_inputs(
    case_dir: str | Path, start: pd.Timestamp, end: pd.Timestamp
) -> CachedInputs:
    """The soundings and winds the cache of ``case_dir`` holds for ``start``-``end``
    (days, inclusive); empty when the case has no cache."""
    root = Path(case_dir) / CACHE_FOLDER
    found = CachedInputs()
    if not (root / MANIFEST).is_file():
        return found
    cache = Cache(root)
    start, end = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    products = load_products()
    for pid, p in products.items():
        if SOUNDINGS_USE not in p.used_by:
            continue
        files = sorted(
            cache.path(e.path)
            for e in cache.files(pid)
            if (day := file_day(Path(e.path).name)) is not None and start <= day <= end
        )
        if files:
            found.soundings, found.product = files, pid
            break
    for pid, p in products.items():
        name = joined_path(p, start, end)
        if not p.request.get(JOIN_KEY) or name not in cache.entries:
            continue
        if "pressure_level" in p.request:
            found.winds_levels = found.winds_levels or cache.path(name)
        elif found.winds is None:
            found.winds, found.winds_product = cache.path(name), pid
    return found


#: the product of the gridded prior geography and its file-name pattern for one year
EDGAR_PRODUCT = "edgar_v8_ch4_gridded"


def edgar_files(case_dir: str | Path, year: int) -> dict[str, Path]:
    """The EDGAR sector files of ``year`` in the cache of ``case_dir``, keyed by EDGAR
    sector code (the name's part after the year: ``..._CH4_{year}_{sector}_emi...``)."""
    root = Path(case_dir) / CACHE_FOLDER
    if not (root / MANIFEST).is_file():
        return {}
    cache = Cache(root)
    pattern = re.compile(rf"_CH4_{int(year)}_(.+?)_emi(?:_nc\.zip|\.nc)$")
    out = {}
    for e in cache.files(EDGAR_PRODUCT):
        if m := pattern.search(Path(e.path).name):
            out[m.group(1)] = cache.path(e.path)
    return dict(sorted(out.items()))
