"""The plume stage: openmrv's own detections on the case's scenes and the third-party
plume catalogues, attributed to the facility register (``openmrv plumes`` and the run's
plume outputs).

Reads each scene through :func:`openmrv.observe.scenes.scene_arrays`, searches orbits in
windows and quantifies each plume by :mod:`openmrv.estimate.plumes.scene` (detection;
IME, CSF and Gaussian plume fit, each with its uncertainty budget), attributes plumes
through :mod:`openmrv.verify.plumes`, and writes, into the output folder:

- ``plumes.csv`` / ``plumes.geojson``: one row per scene (the plume table: time, lat,
  lon, rate_t_per_h, rate_sigma_t_per_h, method, source='openmrv', facility_id, scene,
  flags; plus each method's rate and 1-sigma in ``rate_<method>_t_per_h`` and
  ``rate_<method>_sigma_t_per_h``), with the catalogues' plumes in a run;
- ``plumes/quicklook_<scene>.png`` per detected plume (enhancement, mask, wind arrow,
  source pixel);
- ``plumes_by_facility.csv``: per facility (or 0.2-degree cell) and year, own detections,
  annualised only where the scenes give enough valid views
  (:func:`openmrv.verify.evidence.persistence`);
- in a run, ``plumes_thirdparty.csv``, ``plume_evidence_by_facility.csv`` and
  ``plume_annualisation_sensitivity.csv``: the catalogues' oil-and-gas plumes in the
  country, their annualisation (Monte Carlo) and its sensitivity to each assumption.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from openmrv import runfolder as rf
from openmrv.case import Case, read_facilities
from openmrv.errors import InputError
from openmrv.estimate.plumes.scene import (
    METHODS,
    Method,
    quantify_scene,
    scene_neighbours,
    split_swath,
)
from openmrv.observe.catalogues import read_plume_catalogue
from openmrv.observe.region import country_polygons, region_mask
from openmrv.observe.scenes import scene_arrays
from openmrv.report import figures
from openmrv.verify.evidence import (
    PlumeEvidence,
    catalogue_evidence,
    own_plume_evidence,
    persistence,
)
from openmrv.verify.plumes import attribute, great_circle_km

TABLE_COLUMNS = [
    *rf.PLUME_CORE,
    "detected",
    "wind_u",
    "wind_v",
    "wind_origin",
    "wind_speed_m_s",
    "pixel_km",
    *(f"rate_{m.lower()}{s}_t_per_h" for m in METHODS for s in ("", "_sigma")),
    "flags",
]


def to_geojson(table: pd.DataFrame) -> dict:
    """The plume table as a GeoJSON FeatureCollection (points; rows without a position
    are left out)."""
    feats = []
    for rec in table.dropna(subset=["lat", "lon"]).to_dict("records"):
        props = {
            k: (None if isinstance(v, float) and not np.isfinite(v) else v)
            for k, v in rec.items()
            if k not in ("lat", "lon")
        }
        props["time"] = pd.Timestamp(rec["time"]).isoformat()
        props = {k: (v.item() if isinstance(v, np.generic) else v) for k, v in props.items()}
        feats.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [rec["lon"], rec["lat"]]},
                "properties": props,
            }
        )
    return {"type": "FeatureCollection", "features": feats}


def scan_scenes(
    paths: list[Path],
    facilities: pd.DataFrame | None = None,
    winds=None,
    method: Method = "IME",
    sources: dict[str, tuple[float, float]] | None = None,
    rel_wind_error: float | None = None,
    progress=None,
    neighbours: dict[str, list[tuple[float, float]]] | pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, list[tuple[str, dict]]]:
    """Detect, quantify and attribute one plume per scene.

    Parameters
    ----------
    paths
        Scene files (TROPOMI ``.npz`` plume patches).
    facilities
        Facility register (``facility_id``, ``lat``, ``lon``; e.g.
        :func:`openmrv.case.read_facilities`); None: no attribution.
    winds
        None (each scene's u10/v10), ``(u, v)`` [m/s], or an xarray dataset with ``u``,
        ``v`` on (time, latitude, longitude) (e.g. ERA5).
    method
        The method that fills ``rate_t_per_h`` (all are in their own columns).
    sources
        Optional known source (lat, lon) per scene file name.
    progress
        Optional callable run after each scene (e.g. a progress bar's advance).
    neighbours
        Other known sources whose plumes may share the mask; each rate's budget then
        gets a ``neighbours`` term. Either [(lat, lon), ...] per scene file name, or a
        facility register (``lat``, ``lon`` columns, e.g. the ``facilities`` above):
        every facility inside a scene (or orbit window) is a known source there, except
        the one at the detected source's pixel (:func:`scene_neighbours`).

    Returns
    -------
    (table, quicklooks)
        The plume table (one row per scene, columns ``TABLE_COLUMNS`` plus
        ``distance_km``) and, per detected plume, the quick-look's file name and the
        working arrays it is drawn from (:func:`write_quicklooks`).
    """
    rows, looks = [], []
    for p in paths:
        p = Path(p)
        sc = scene_arrays(p)
        src = (sources or {}).get(p.name)
        scenes = split_swath(sc) if src is None else [sc]
        if not scenes:
            rows.append(
                {
                    "time": sc["time"],
                    "scene": p.name,
                    "source": "openmrv",
                    "method": method,
                    "detected": False,
                    "facility_id": "",
                    "flags": "no plume candidate in the orbit at the stated false-alarm rate",
                }
            )
        for sub in scenes:
            try:
                row, work = quantify_scene(
                    sub,
                    src,
                    winds,
                    rel_wind_error,
                    method,
                    neighbours=(
                        scene_neighbours(sub, neighbours)
                        if isinstance(neighbours, pd.DataFrame)
                        else (neighbours or {}).get(p.name)
                    ),
                )
            except InputError as exc:  # e.g. every pixel fails QA: listed with the reason
                row = {
                    "time": sub["time"],
                    "scene": sub["scene"],
                    "source": "openmrv",
                    "method": method,
                    "detected": False,
                    "facility_id": "",
                    "flags": f"not quantified: {exc}",
                }
                work = None
            rows.append(row)
            if work is not None and row["detected"]:
                tag = sub["scene"].split("@", 1)[1] if "@" in sub["scene"] else ""
                looks.append((f"quicklook_{p.stem}{'_' + tag if tag else ''}.png", work))
        if progress is not None:
            progress()
    table = pd.DataFrame(rows).reindex(columns=TABLE_COLUMNS)
    table["time"] = pd.to_datetime(table["time"])
    table["facility_id"] = table["facility_id"].fillna("")
    table["detected"] = table["detected"].fillna(False).astype(bool)
    if facilities is not None and not facilities.empty:
        det = table["detected"]
        att = attribute(table[det].reset_index(drop=True), facilities)
        table.loc[det, "facility_id"] = att["facility_id"].to_numpy()
        table.loc[det, "distance_km"] = att["distance_km"].to_numpy()
    else:
        table["distance_km"] = np.nan
    return table, looks


def write_plume_outputs(table: pd.DataFrame, out: Path) -> list[Path]:
    """Write ``plumes.csv``, ``plumes.geojson`` and ``plumes_by_facility.csv`` into ``out``."""
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        table.to_csv(out / rf.PLUMES_CSV, index=False)
        (out / rf.PLUMES_GEOJSON).write_text(json.dumps(to_geojson(table), indent=1))
        persistence(table).to_csv(out / rf.PLUMES_BY_FACILITY_CSV, index=False)
    except OSError as exc:
        raise InputError(
            f"cannot write the plume outputs ({exc}); choose a writable --out", file=out
        ) from exc
    return [out / n for n in (rf.PLUMES_CSV, rf.PLUMES_GEOJSON, rf.PLUMES_BY_FACILITY_CSV)]


def write_quicklooks(looks: list[tuple[str, dict]], out: Path) -> list[Path]:
    """Draw each quick-look into ``<out>/plumes/``."""
    return [figures.plume_quicklook(work, Path(out) / rf.PLUMES_DIR / n) for n, work in looks]


def detect_scenes(
    paths: list[Path],
    facilities: pd.DataFrame | None = None,
    winds=None,
    out: Path | None = None,
    method: Method = "IME",
    sources: dict[str, tuple[float, float]] | None = None,
    rel_wind_error: float | None = None,
    progress=None,
    neighbours: dict[str, list[tuple[float, float]]] | pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, list[Path]]:
    """:func:`scan_scenes`, and the quick-looks drawn into ``<out>/plumes/`` (None: no
    figures). Returns the plume table and the figures' paths."""
    table, looks = scan_scenes(
        paths, facilities, winds, method, sources, rel_wind_error, progress, neighbours
    )
    return table, ([] if out is None else write_quicklooks(looks, Path(out)))


def oil_and_gas_facilities(case: Case) -> pd.DataFrame:
    """The facility register's 1.B.2 rows: the sites plumes are attributed to."""
    facilities = read_facilities(case)
    return facilities[facilities["category"].str.startswith("1.B.2")]


def catalogue_plumes(case: Case, facilities: pd.DataFrame) -> PlumeEvidence | None:
    """The case's plume catalogues: the country's plumes as 1.B.2 evidence
    (:func:`openmrv.verify.evidence.catalogue_evidence`); None without catalogues."""
    if not case.plume_catalogues:
        return None
    plumes = pd.concat([read_plume_catalogue(p) for p in case.plume_catalogues], ignore_index=True)
    inside = region_mask(plumes["lon"].to_numpy(), plumes["lat"].to_numpy(), case.country)
    return catalogue_evidence(plumes[inside].reset_index(drop=True), facilities)


@dataclass
class Plumes:
    """What the plume stage produced: the catalogue evidence, openmrv's own detections and
    their quick-looks, and the top-down rows and contributors they give."""

    catalogue: PlumeEvidence | None
    own: pd.DataFrame
    quicklooks: list[tuple[str, dict]] = field(default_factory=list)
    #: number of scenes searched
    scenes: int = 0
    top_down: list[pd.DataFrame] = field(default_factory=list)
    contributors: list[pd.DataFrame] = field(default_factory=list)

    @property
    def table(self) -> pd.DataFrame:
        """The plume table: own detections and the catalogues' plumes."""
        cat = None if self.catalogue is None else self.catalogue.plumes
        parts = [t for t in (self.own, cat) if t is not None and len(t)]
        return pd.concat(parts, ignore_index=True) if parts else self.own


def compute(case: Case, progress: Callable[[str], None] | None = None) -> Plumes:
    """The case's plume evidence: the catalogues' and openmrv's own detections on the
    case's scenes, attributed to the register's 1.B.2 sites, whose other sites inside a
    scene count as neighbouring sources (a ``neighbours`` term in the rate's 1-sigma)."""
    oil_gas = oil_and_gas_facilities(case)  # read once for both plume sources
    evidence = catalogue_plumes(case, oil_gas)
    res = Plumes(evidence, pd.DataFrame(), scenes=len(case.plume_scenes))
    if evidence is not None:
        res.top_down.append(evidence.top_down)
        res.contributors.append(evidence.contributors)
    if case.plume_scenes:
        if progress is not None:
            progress(f"plumes: {len(case.plume_scenes)} scenes")
        res.own, res.quicklooks = scan_scenes(case.plume_scenes, oil_gas, neighbours=oil_gas)
    if case.plume_scenes or evidence is not None:
        own_td, own_contrib = own_plume_evidence(res.own)
        if len(own_td):
            res.top_down.append(own_td)
            res.contributors.append(own_contrib)
    return res


def write(res: Plumes, run_dir: Path) -> list[Path]:
    """Write the catalogue evidence tables, the quick-looks and the plume table."""
    files: list[Path] = []
    if res.catalogue is not None:
        for name, frame in (
            (rf.PLUMES_THIRDPARTY_CSV, res.catalogue.plumes),
            (rf.PLUME_EVIDENCE_BY_FACILITY_CSV, res.catalogue.by_facility),
            (rf.PLUME_ANNUALISATION_SENSITIVITY_CSV, res.catalogue.sensitivity),
        ):
            frame.to_csv(run_dir / name, index=False)
            files.append(run_dir / name)
    if res.scenes or res.catalogue is not None:
        files += write_quicklooks(res.quicklooks, run_dir)
        files += write_plume_outputs(res.table, run_dir)
    return files


def outside_country(table: pd.DataFrame, country: str) -> pd.DataFrame:
    """The detected plumes of ``table`` that lie outside ``country`` (ISO3), with their
    great-circle distance [km] to the country's nearest border vertex: a scene there is
    not evidence about the country's inventory, and attribution to its register does not
    apply."""
    det = table[table["detected"].astype(bool)].dropna(subset=["lat", "lon"])
    lat, lon = det["lat"].to_numpy(float), det["lon"].to_numpy(float)
    out = det.loc[~region_mask(lon, lat, country), ["scene", "lat", "lon"]].copy()
    if len(out):
        border = np.concatenate([rings[0] for rings in country_polygons(country)])
        out["distance_km"] = [
            float(great_circle_km(la, lo, border[:, 1], border[:, 0]).min())
            for la, lo in zip(out["lat"], out["lon"], strict=True)
        ]
    return out.reset_index(drop=True)
