"""The inversion's 1.B.2 posterior by region on the region borders (regions_posterior.png):
each region coloured by posterior over prior, red above the prior, blue below."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import shapely
from PIL import Image

from openmrv.report.geo_figures import region_posterior_map


def test_regions_are_coloured_by_posterior_over_prior(tmp_path):
    west, east = shapely.box(50, 35, 55, 40), shapely.box(55, 35, 60, 40)
    regions = SimpleNamespace(names=["West", "East"], geometries=[west, east])
    table = pd.DataFrame(
        {
            "region": ["West", "East"],
            "inversion_1B2_prior_kt": [100.0, 100.0],
            "inversion_1B2_posterior_kt": [140.0, 60.0],  # West above its prior, East below
            "inversion_1B2_posterior_sigma_kt": [10.0, 10.0],
            "inversion_label": ["OSSE, synthetic"] * 2,
        }
    )
    png = region_posterior_map(regions, table, tmp_path / "p.png")
    rgb = np.asarray(Image.open(png).convert("RGB"), dtype=int)
    # the two regions' fill colours: sample the image's most common non-white, non-grey
    # colours left and right of its middle
    h, w, _ = rgb.shape
    left, right = (
        rgb[h // 3 : 2 * h // 3, w // 8 : w // 3],
        rgb[h // 3 : 2 * h // 3, w // 2 : 2 * w // 3],
    )

    def fill(block):
        px = block.reshape(-1, 3)
        coloured = px[np.ptp(px, axis=1) > 40]
        values, counts = np.unique(coloured, axis=0, return_counts=True)
        return values[counts.argmax()]

    r_west, r_east = fill(left), fill(right)
    assert r_west[0] > r_west[2]  # red over blue: posterior above prior
    assert r_east[2] > r_east[0]  # blue over red: below


def test_nothing_drawn_without_an_inversion(tmp_path):
    regions = SimpleNamespace(names=["A"], geometries=[shapely.box(0, 0, 1, 1)])
    assert (
        region_posterior_map(regions, pd.DataFrame({"region": ["A"]}), tmp_path / "p.png") is None
    )
    assert not (tmp_path / "p.png").exists()
