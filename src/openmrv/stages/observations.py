"""The observations stage: the case's satellite Level-2 files read, screened and cut to the
country (:func:`openmrv.observe.batch.observe` on dask.distributed); :func:`write` writes
``observations/``: the summary, the soundings and their map."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import xarray as xr

from openmrv import runfolder as rf
from openmrv.case import Case
from openmrv.errors import NoSoundingsError
from openmrv.observe.batch import ObserveSummary, observe, write_soundings
from openmrv.observe.region import Region, country_polygons
from openmrv.report import figures


@dataclass
class Observations:
    """The soundings over the country (None when no file had one) and the read summary."""

    soundings: xr.Dataset | None
    summary: ObserveSummary = field(default_factory=ObserveSummary)
    region: str = ""


def compute(case: Case, scheduler: str | None = None) -> Observations | None:
    """Read the case's satellite files and keep the soundings over the country.

    Files are read on dask.distributed (``scheduler``'s cluster, else a LocalCluster of
    threads for this call); a bad file is listed in the summary and does not stop the
    run. No sounding over the country is not an error: the summary says so. None when
    the case lists no satellite files.
    """
    if not case.sounding_files:
        return None
    try:
        soundings, summary = observe(
            case.sounding_files,
            region=case.country,
            scheduler=scheduler,
            n_workers=1,
            processes=False,
        )
    except NoSoundingsError as exc:
        soundings, summary = None, getattr(exc, "summary", ObserveSummary())
    return Observations(soundings, summary, case.country)


def write(obs: Observations, run_dir: Path) -> list[Path]:
    """Write ``observations/summary.csv`` and, when there are soundings, ``soundings.nc``
    and ``soundings_map.png``."""
    (run_dir / rf.OBSERVATIONS_DIR).mkdir()
    files: list[Path] = []
    obs.summary.table().to_csv(run_dir / rf.OBSERVATIONS_SUMMARY_CSV, index=False)
    files.append(run_dir / rf.OBSERVATIONS_SUMMARY_CSV)
    if obs.soundings is not None:
        files.append(write_soundings(obs.soundings, run_dir / rf.SOUNDINGS_NC))
        outlines = country_outlines(obs.region)
        files.append(figures.soundings_map(obs.soundings, run_dir / rf.SOUNDINGS_MAP_PNG, outlines))
    return files


def country_outlines(region: Region | None) -> list:
    """The outer border of each polygon of a country given by its ISO3 code (none for a
    bounding box or a GeoJSON file)."""
    if isinstance(region, str) and not region.lower().endswith("json"):
        return [rings[0] for rings in country_polygons(region)]
    return []
