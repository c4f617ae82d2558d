"""The regions stage: results by region (``regions.csv`` and ``regions_map.png``).

For a case with ``regions:`` and ``region_names:`` it wires, without science of its own:
the regions and the case's pipelines (:mod:`openmrv.stages.places`), the inventory's
sub-categories of each sector the spatial proxies cover (1.B.2) allocated to regions
(:func:`openmrv.verify.regions.allocate`), the catalogue plumes per region
(:func:`openmrv.verify.regions.plume_summary`), and the inversion's prior, posterior and
(OSSE) truth per region: element totals weighted by the share of each element's prior
that lies in the region (:meth:`openmrv.estimate.inversion.solver.Posterior.total`, with
the posterior covariance), labelled "OSSE, synthetic" where the soundings were.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from openmrv import runfolder as rf
from openmrv.case import Case, read_facilities
from openmrv.estimate.inventory import InventoryResult
from openmrv.estimate.inversion.national import KG_S_TO_KT
from openmrv.observe.geography import (
    Regions,
    areas_by_region,
    cell_fractions,
    lengths_by_region,
    region_of,
)
from openmrv.report.geo_figures import region_map, region_posterior_map
from openmrv.stages import places
from openmrv.stages.inversion import CaseInversion
from openmrv.stages.plumes import Plumes
from openmrv.verify.regions import OUTSIDE, allocate, cell_weights, plume_summary

SECTOR = "1.B.2"
OSSE_LABEL = "OSSE, synthetic"


@dataclass
class RegionResults:
    """What :func:`compute` produced: the table and what the map draws."""

    table: pd.DataFrame
    regions: Regions
    facilities: pd.DataFrame
    pipelines: pd.DataFrame
    plumes: pd.DataFrame = field(default_factory=pd.DataFrame)
    allocation: pd.DataFrame = field(default_factory=pd.DataFrame)


def _line_km(regions: Regions, lines: pd.DataFrame) -> pd.DataFrame:
    rows = [
        {"pipeline_id": pid, "region": r, "km": km}
        for pid, g in zip(lines["pipeline_id"], lines["geometry"], strict=True)
        for r, km in lengths_by_region(regions, g).items()
        if km > 0
    ]
    return pd.DataFrame(rows, columns=["pipeline_id", "region", "km"])


def _inversion(inv: CaseInversion, regions: Regions) -> pd.DataFrame:
    sv, post, s = inv.state, inv.posterior, inv.settings
    names = list(dict.fromkeys(regions.names))
    la, lo = np.meshgrid(sv.grid.lat, sv.grid.lon, indexing="ij")
    frac = cell_fractions(regions, sv.grid.lon, sv.grid.lat)
    lost = (frac.sum(0) <= 0) & (sv.fields.sum(0) > 0)  # emitting cells no polygon touches
    nearest = np.full(la.shape, "", dtype=object)
    nearest[lost] = region_of(regions, lo[lost], la[lost], np.inf)
    share = cell_weights(frac, nearest, names)
    lab = sv.labels.ravel()
    cells = np.flatnonzero(lab >= 0)
    x_a = sv.x_a[: sv.n_emission]
    k = sv.sectors.index(SECTOR) if SECTOR in sv.sectors else None
    scale = [s.truth_scale.get(sec, s.truth_scale.get("all", 1.0)) for sec in sv.sectors]
    rows = []
    for i, name in enumerate(names):
        out: dict[str, object] = {"region": name}
        for tag, fld in (("", sv.fields.sum(0)), ("_1B2", None if k is None else sv.fields[k])):
            if fld is None:
                continue
            w = np.zeros(sv.n)
            np.add.at(w, lab[cells], (fld.ravel() * share[i].ravel())[cells])
            w[: sv.n_emission] /= np.where(x_a > 0, x_a, 1.0)
            pa, _, xh, xsd = post.total(w)
            out[f"inversion{tag}_prior_kt"] = pa * KG_S_TO_KT
            out[f"inversion{tag}_posterior_kt"] = xh * KG_S_TO_KT
            out[f"inversion{tag}_posterior_sigma_kt"] = xsd * KG_S_TO_KT
        if inv.truth is not None:
            true = sum(f * sc for f, sc in zip(sv.fields, scale, strict=True))
            out["inversion_truth_kt"] = float((true * share[i]).sum()) * KG_S_TO_KT
            if k is not None:
                t_1b2 = sv.fields[k] * scale[k] * share[i]
                out["inversion_1B2_truth_kt"] = float(t_1b2.sum()) * KG_S_TO_KT
        out["inversion_label"] = OSSE_LABEL if inv.osse else "real soundings"
        out["inversion_year"] = s.year
        rows.append(out)
    return pd.DataFrame(rows)


def compute(
    case: Case,
    result: InventoryResult,
    year: int,
    plumes: Plumes | None = None,
    inversion: CaseInversion | None = None,
) -> RegionResults | None:
    """Results by region for ``year`` (None when the case names no regions)."""
    regions = places.case_regions(case)
    if regions is None:
        return None
    country = places.country_shape(case, regions)
    lines = places.case_pipelines(case, year, country)
    line_km = _line_km(regions, lines)
    fac = read_facilities(case)
    fac = fac.assign(region=region_of(regions, fac["lon"].to_numpy(float), fac["lat"]))
    areas = areas_by_region(regions)
    parts = places.sector_parts(result, SECTOR, year)
    alloc = allocate(parts, fac, lines, line_km, areas)
    oil_gas = fac[fac["category"].astype(str).str.startswith(SECTOR)]
    table = pd.DataFrame({"region": list(areas)})
    table["source_name"] = [regions.source_names[regions.names.index(r)] for r in table["region"]]
    table["area_km2"] = [areas[r] for r in table["region"]]
    table["facilities_1B2"] = [int((oil_gas["region"] == r).sum()) for r in table["region"]]
    table["fields"] = [
        int(((fac["region"] == r) & fac["type"].str.endswith("_field")).sum())
        for r in table["region"]
    ]
    table["pipeline_km"] = [
        float(line_km.loc[line_km["region"] == r, "km"].sum()) for r in table["region"]
    ]
    table["inventory_year"] = year
    by_region = alloc.groupby("region")["value"].sum()
    table["inventory_1B2_kt"] = [float(by_region.get(r, 0.0)) for r in table["region"]]
    total = float(sum(parts.values()))
    table["inventory_1B2_share"] = table["inventory_1B2_kt"] / total if total else 0.0
    shown = pd.DataFrame()
    if plumes is not None and plumes.catalogue is not None and len(plumes.catalogue.plumes):
        shown = plumes.catalogue.plumes
        reg = region_of(regions, shown["lon"].to_numpy(float), shown["lat"].to_numpy(float))
        pyear = int(pd.DatetimeIndex(shown["time"]).year.max())
        summ = plume_summary(shown, reg, pyear).assign(plume_year=pyear)
        table = table.merge(summ, on="region", how="outer")
        table["region"] = table["region"].fillna(OUTSIDE)
    if inversion is not None:
        table = table.merge(_inversion(inversion, regions), on="region", how="left")
    return RegionResults(table, regions, fac, lines, shown, alloc)


def write(res: RegionResults, run_dir: Path) -> list[Path]:
    """Write ``regions.csv``, ``regions_map.png`` and, where an inversion ran,
    ``regions_posterior.png``."""
    csv_path = rf.path(run_dir, rf.REGIONS_CSV)
    res.table.to_csv(csv_path, index=False)
    png = rf.path(run_dir, rf.REGIONS_MAP_PNG)
    region_map(res.regions, res.facilities, res.pipelines, res.plumes, png)
    post = region_posterior_map(res.regions, res.table, rf.path(run_dir, rf.REGIONS_POSTERIOR_PNG))
    return [csv_path, png] + ([post] if post is not None else [])
