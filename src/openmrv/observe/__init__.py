"""observe: satellite soundings from Level-2 files -- readers, QA, operators, super-observations.

observe knows files and instruments, nothing of inventories. Every reader returns
the canonical soundings dataset described in ``docs/data-format.md`` ("Soundings").
"""

from openmrv.observe.batch import ObserveSummary, observe
from openmrv.observe.operator import apply_operator
from openmrv.observe.qa import apply_qa
from openmrv.observe.region import select_region
from openmrv.observe.registry import Reader, identify, read_soundings, readers, register
from openmrv.observe.soundings import concat_soundings, ensure_valid_soundings
from openmrv.observe.superobs import superobservations
from openmrv.observe.winds import (
    attach_winds,
    product_winds,
    read_era5_pressure_levels,
    read_era5_single_levels,
    read_era5_winds,
    winds_at,
)

__all__ = [
    "ObserveSummary",
    "Reader",
    "apply_operator",
    "apply_qa",
    "attach_winds",
    "concat_soundings",
    "ensure_valid_soundings",
    "identify",
    "observe",
    "product_winds",
    "read_era5_pressure_levels",
    "read_era5_single_levels",
    "read_era5_winds",
    "read_soundings",
    "readers",
    "register",
    "select_region",
    "superobservations",
    "winds_at",
]
