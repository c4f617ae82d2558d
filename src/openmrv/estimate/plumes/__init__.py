"""Methane (and other gas) plumes on satellite scenes: detection and quantification.

Pure functions on arrays; nothing here opens files (scenes are read by
:mod:`openmrv.observe.scenes`; the plume stage is :mod:`openmrv.stages.plumes`).
"""

from openmrv.estimate.plumes.detect import Detection, detect_plume, robust_background, split_mask
from openmrv.estimate.plumes.gaussian import gaussian_plume_fit
from openmrv.estimate.plumes.quantify import (
    RateEstimate,
    csf_rate,
    ime_rate,
    local_xy,
    pixel_areas,
    ppb_to_kg_m2,
)
from openmrv.estimate.plumes.wind import Wind, external_wind, scene_wind

__all__ = [
    "Detection",
    "RateEstimate",
    "Wind",
    "csf_rate",
    "detect_plume",
    "external_wind",
    "gaussian_plume_fit",
    "ime_rate",
    "local_xy",
    "pixel_areas",
    "ppb_to_kg_m2",
    "robust_background",
    "scene_wind",
    "split_mask",
]
