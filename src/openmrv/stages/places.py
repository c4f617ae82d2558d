"""Where a case's emissions are: its regions, its pipelines cut to the country, and the
inventory's sub-categories of a sector, for the inversion prior
(:mod:`openmrv.stages.inversion`) and the report by region (:mod:`openmrv.stages.regions`).

It wires, without science of its own: the case's ``regions:`` and ``region_names:``
(:func:`openmrv.observe.geography.read_regions`), ``pipelines:``
(:func:`openmrv.registers.read_pipelines`, those operating in the year), the facility
register (:func:`openmrv.case.read_facilities`) and the inventory's records.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from openmrv.case import Case
from openmrv.estimate.inventory import InventoryResult
from openmrv.observe.geography import Regions, read_regions
from openmrv.observe.region import country_polygons
from openmrv.registers import operating, read_pipelines
from openmrv.spatial import line_length_km, spatial_proxies


def case_regions(case: Case) -> Regions | None:
    """The case's regions, or None when it names none."""
    if case.region_files is None:
        return None
    return read_regions(*case.region_files)


def country_shape(case: Case, regions: Regions | None = None):
    """The country as one shapely geometry: the union of its regions, else the packaged
    Natural Earth 1:110m outline of its ISO3 code."""
    if regions is not None:
        return regions.union
    polys = [
        shapely.Polygon(rings[0][:, :2], [r[:, :2] for r in rings[1:]])
        for rings in country_polygons(case.country)
    ]
    return shapely.make_valid(shapely.union_all(polys))


def case_pipelines(case: Case, year: int, country) -> pd.DataFrame:
    """The case's pipelines operating in ``year``, each cut to ``country``, with its
    ``length_km`` inside; lines that do not enter the country are dropped."""
    lines = operating(read_pipelines(case.pipelines_file, case.category_system), year)
    if lines.empty:
        return lines.assign(length_km=pd.Series(dtype=float))
    lines = lines.copy()
    lines["geometry"] = [shapely.intersection(g, country) for g in lines["geometry"]]
    lines["length_km"] = [line_length_km(g) for g in lines["geometry"]]
    return lines[lines["length_km"] > 0].reset_index(drop=True)


def sector_parts(
    result: InventoryResult, sector: str, year: int, gas: str = "CH4"
) -> dict[str, float]:
    """The inventory's ``gas`` in ``year`` by sub-category of ``sector`` [Gg] (the leaf
    categories of its estimates, summed per code)."""
    rec = result.records()
    sel = rec[
        (rec["gas"] == gas)
        & (rec["year"] == year)
        & rec["category"].astype(str).str.startswith(sector + ".")
    ]
    parts = sel.groupby("category")["value_Gg"].sum()
    return {str(k): float(v) for k, v in parts.items() if np.isfinite(v) and v > 0}


def placed(sector: str) -> bool:
    """Whether ``sector``'s sub-categories are placed on carriers: the spatial proxies'
    table has rows for categories inside it."""
    cats = spatial_proxies()["category"].astype(str)
    return bool((cats.str.startswith(sector + ".") | (cats == sector)).any())
