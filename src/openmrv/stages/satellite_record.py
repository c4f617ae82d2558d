"""The satellite-record stage: a national CH4 estimate per year from a gridded XCH4 record
(``top_down: xch4_record:`` of case.yaml) by the mass balance of
:mod:`openmrv.estimate.massbalance`, its evidence rows for the verification
(:func:`openmrv.verify.satellite_record.record_evidence`), and :func:`write`:
``satellite_record.csv`` and the figure ``satellite_record.png``
(docs/satellite-record.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from openmrv import runfolder as rf
from openmrv.case import Case
from openmrv.estimate.massbalance import (
    SourceRegion,
    annual_means,
    enhancements,
    source_region,
    wind_cases,
)
from openmrv.estimate.massbalance.record import estimate, wind_sensitivity
from openmrv.observe.xch4_l3 import country_cell_fraction, read_wind_climatology, read_xch4_l3
from openmrv.report.satellite_figure import satellite_record_chart
from openmrv.verify.satellite_record import PRODUCT, record_evidence

#: the full GOSAT-era years whose evidence is headline (others stay labelled)
GOSAT_FULL_YEARS = range(2009, 2020)


@dataclass
class SatelliteRecord:
    """What the stage produced."""

    region: SourceRegion
    winds: pd.DataFrame
    annual: pd.DataFrame
    top_down: pd.DataFrame
    wind_sensitivity: pd.DataFrame
    product: str


def compute(case: Case) -> SatelliteRecord:
    """Read the record and the winds, and estimate every year (Monte Carlo)."""
    files = case.xch4_record or {}
    xch4 = read_xch4_l3(files["file"])
    winds = read_wind_climatology(files["winds"])
    lat, lon = xch4["lat"].values, xch4["lon"].values
    region = source_region(lat, lon, country_cell_fraction(lat, lon, case.country))
    cases = wind_cases(winds, region)
    ann = annual_means(xch4)
    enh = enhancements(ann, region, cases)
    months = pd.Series(ann["months"].values, index=ann["year"].values.astype(int))
    seed = case.settings.top_down.xch4_record.seed
    annual = estimate(enh, region, cases, months, seed=seed)
    product = xch4.attrs.get("product", PRODUCT)
    label_product = PRODUCT if "v4.3" in product and "merged" in product.lower() else product
    top_down = record_evidence(annual, label_product)
    years = [y for y in GOSAT_FULL_YEARS if y in set(annual["year"])]
    sens = wind_sensitivity(enh, region, cases, years or list(annual["year"]))
    return SatelliteRecord(region, cases, annual, top_down, sens, label_product)


def inventory_series(dataset, gas_summary: pd.DataFrame | None) -> pd.DataFrame:
    """The inventory's national CH4 per year [kt] with its 95 % interval where the Monte
    Carlo gives one."""
    cat = dataset.attrs["cat"]
    da = dataset["CH4"].sel({cat: "0"})
    years = pd.DatetimeIndex(da["time"].values).year
    values = np.asarray(da.values).reshape(len(years), -1)[:, 0]
    out = pd.DataFrame({"year": years, "value_kt": values, "low_kt": np.nan, "high_kt": np.nan})
    if gas_summary is not None and len(gas_summary):
        g = gas_summary
        s = g[(g["category"].astype(str) == "0") & (g["gas"] == "CH4")].set_index("year")
        out["low_kt"] = out["year"].map(s["p2.5"])
        out["high_kt"] = out["year"].map(s["p97.5"])
    return out


def write(
    res: SatelliteRecord, folder: Path, dataset, gas_summary: pd.DataFrame | None, country: str
) -> list[Path]:
    """Write ``satellite_record.csv`` (the evidence rows with each year's estimate) and
    ``satellite_record.png``."""
    table = res.top_down.merge(
        res.annual[["year", "era", "months", "enhancement_ppb", "sigma_noise_ppb"]], on="year"
    )
    s, n, w, e = res.region.bounds
    table["region"] = f"{s:g}-{n:g}N {w:g}-{e:g}E"
    table["country_area_share"] = res.region.area_share
    path = folder / rf.SATELLITE_RECORD_CSV
    table.to_csv(path, index=False)
    png = satellite_record_chart(
        res.annual,
        inventory_series(dataset, gas_summary),
        folder / rf.SATELLITE_RECORD_PNG,
        res.product,
        country,
    )
    return [path, png]
