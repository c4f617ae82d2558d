"""Rebuild src/openmrv/observe/data/ne_110m_admin0_countries.geojson (run by hand, not at import).

Source: Natural Earth 1:110m admin-0 countries (public domain), as shipped in the
PyPI wheel geopandas==0.14.4 under ``geopandas/datasets/naturalearth_lowres/``.
Read with pyshp (``pip install pyshp``); coordinates rounded to 0.001 degree.
Kosovo has ISO3 ``-99`` there and is written as ``XKX``.

Usage: python scripts/build_country_polygons.py PATH/TO/naturalearth_lowres.shp
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import shapefile  # pyshp

OUT = Path(__file__).parents[1] / "src/openmrv/observe/data/ne_110m_admin0_countries.geojson"


def main(shp: str) -> None:
    reader = shapefile.Reader(shp, encoding="iso-8859-1")
    features = []
    for rec, shape in zip(reader.records(), reader.shapes(), strict=True):
        iso3 = "XKX" if rec["iso_a3"] == "-99" and rec["name"] == "Kosovo" else rec["iso_a3"]
        geom = shape.__geo_interface__
        coords = json.loads(
            json.dumps(geom["coordinates"]), parse_float=lambda s: round(float(s), 3)
        )
        features.append(
            {
                "type": "Feature",
                "properties": {"iso3": iso3, "name": rec["name"]},
                "geometry": {"type": geom["type"], "coordinates": coords},
            }
        )
    OUT.write_text(
        json.dumps({"type": "FeatureCollection", "features": features}, separators=(",", ":"))
    )


if __name__ == "__main__":
    main(sys.argv[1])
