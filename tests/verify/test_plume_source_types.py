"""Catalogue source-type labels mapped to IPCC categories (verify/data/plume_source_types.csv)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from openmrv.observe.catalogues import read_plume_catalogue
from openmrv.verify.plumes import ipcc_category_of

DATA = Path(__file__).parents[1] / "data" / "catalogues"


def test_labels_of_the_real_exports_are_mapped():
    # every sector label in the real MARS and Carbon Mapper excerpts is in the table,
    # except the ones that name no category (Other, empty)
    for name in ("imeo_mars_plumes_excerpt.csv", "carbonmapper_plumes_excerpt.csv"):
        t = read_plume_catalogue(DATA / name, require_uncertainty=False)
        labels = t["source_type"].fillna("").astype(str).str.strip()
        cats = ipcc_category_of(t["source_type"])
        unmapped = set(labels[cats == ""]) - {"", "Other"}
        assert not unmapped, (name, unmapped)
        assert (cats == "1.B.2").any()


def test_mapping_by_hand():
    labels = pd.Series(
        [
            "Oil",
            "gas",
            "Landfill/Urban",
            "Coal",
            "Oil and Gas",
            "Oil & Gas (1B2)",
            "Solid Waste (6A)",
            "Electricity Generation (1A1)",
            "Other",
            None,
            "Unclassified",
            "Something new",
        ]
    )
    assert ipcc_category_of(labels).tolist() == [
        "1.B.2",
        "1.B.2",
        "4.A",
        "1.B.1",
        "1.B.2",
        "1.B.2",
        "4.A",
        "1.A.1",
        "",
        "",
        "",
        "",
    ]
