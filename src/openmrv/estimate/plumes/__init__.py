"""Methane (and other gas) plumes on satellite scenes: detection and quantification.

Pure functions on arrays; nothing here opens files (see ``openmrv.plumes_cli``).
"""

from openmrv.estimate.plumes.detect import Detection, detect_plume, robust_background
from openmrv.estimate.plumes.quantify import (
    RateEstimate,
    csf_rate,
    ime_rate,
    local_xy,
    pixel_areas,
    plume_table,
    ppb_to_kg_m2,
)

__all__ = [
    "Detection",
    "RateEstimate",
    "csf_rate",
    "detect_plume",
    "ime_rate",
    "local_xy",
    "pixel_areas",
    "plume_table",
    "ppb_to_kg_m2",
    "robust_background",
]
