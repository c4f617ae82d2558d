"""Comparison of an inventory with third-party estimates (EDGAR, CAIT, Climate TRACE).

The third parties report in their own sectors; ``data/reference_sectors.csv``
maps each of their sectors to sums of IPCC 2006 categories. Differences are shown
per comparable sector and year in CO2-equivalent; the third parties' GWP metrics
are stated beside them (they need not equal the inventory's).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from openmrv.dataformat import years

MAPPING_FILE = Path(__file__).parent / "data" / "reference_sectors.csv"


def sector_mapping() -> pd.DataFrame:
    """The mapping of third-party sectors to IPCC 2006 categories."""
    return pd.read_csv(MAPPING_FILE, keep_default_na=False)


def compare(inventory: xr.Dataset, references: pd.DataFrame) -> pd.DataFrame:
    """Inventory CO2e by comparable sector beside each reference estimate.

    Parameters
    ----------
    inventory
        Emissions dataset with a ``KYOTOGHG (<GWP>)`` variable.
    references
        Long table with columns reference, sector, year, value_Mt_CO2e, gwp
        (see :mod:`openmrv.references`).

    Returns
    -------
    pandas.DataFrame
        reference, sector, comparable_sector, ipcc_categories, year, reference_Mt_CO2e,
        reference_gwp, openmrv_Mt_CO2e, openmrv_gwp, difference_pct.
    """
    var = next(str(n) for n in inventory.data_vars if str(n).startswith("KYOTOGHG"))
    gwp_name = inventory[var].attrs["gwp_context"]
    cat_dim = inventory.attrs["cat"]
    codes = set(inventory[cat_dim].values.tolist())
    kyoto = inventory[var].isel({"area (ISO3)": 0, "source": 0})
    inv_years = years(inventory)
    mapping = sector_mapping()
    rows = []
    for m in mapping.itertuples():
        cats_ = [c for c in str(m.ipcc_categories).split(";") if c]
        present = [c for c in cats_ if c in codes]
        ours = (
            kyoto.sel({cat_dim: present}).sum(cat_dim, min_count=1).values / 1000.0
            if present
            else np.full(len(inv_years), np.nan)
        )
        ref = references[
            (references["reference"] == m.reference) & (references["sector"] == m.sector)
        ]
        for r in ref.itertuples():
            if r.year not in inv_years:
                continue
            o = float(ours[inv_years.index(r.year)])
            rows.append(
                {
                    "reference": m.reference,
                    "sector": m.sector,
                    "comparable_sector": m.comparable_sector,
                    "ipcc_categories": m.ipcc_categories,
                    "year": int(r.year),
                    "reference_Mt_CO2e": float(r.value_Mt_CO2e),
                    "reference_gwp": r.gwp,
                    "openmrv_Mt_CO2e": o,
                    "openmrv_gwp": gwp_name,
                    "difference_pct": 100.0 * (o - r.value_Mt_CO2e) / r.value_Mt_CO2e
                    if r.value_Mt_CO2e
                    else np.nan,
                }
            )
    return pd.DataFrame(rows)
