"""The report's line on the inversion's input sources: which winds drove the transport
model and which geography placed the prior (from ``inversion/result.nc``'s attributes,
written by :mod:`openmrv.stages.inversion_sources`)."""

from __future__ import annotations

import html
from pathlib import Path

import xarray as xr

from openmrv import runfolder as rf


def sources_note(run: Path) -> str:
    """An HTML paragraph naming the inversion's winds and prior geography; empty when the
    run has no ``result.nc`` or it predates these attributes."""
    path = Path(run) / rf.INVERSION_RESULT_NC
    if not path.is_file():
        return ""
    try:
        with xr.open_dataset(path) as ds:
            attrs = dict(ds.attrs)
    except (OSError, ValueError):
        return ""
    if "wind_level" not in attrs and "prior_geography" not in attrs:
        return ""
    winds = str(attrs.get("winds", "?"))  # the label names the level (10 m, boundary layer)
    if attrs.get("wind_level") == "as given":
        winds += " (u, v as given in the file; level not stated)"
    prior = str(attrs.get("prior_geography", "openmrv"))
    return (
        f"<p>Winds of the transport model and its wind-error ensemble: {html.escape(winds)}. "
        f"Prior geography: {html.escape(prior)} (the national totals are the inventory's "
        "in every case).</p>"
    )
