"""observe: satellite soundings from Level-2 files -- readers, QA, operators, super-observations.

observe knows files and instruments, nothing of inventories. Every reader returns
the canonical soundings dataset described in ``docs/data-format.md`` ("Soundings").
"""

from openmrv.observe.qa import apply_qa
from openmrv.observe.registry import Reader, identify, read_soundings, readers, register
from openmrv.observe.soundings import concat_soundings, ensure_valid_soundings

__all__ = [
    "Reader",
    "apply_qa",
    "concat_soundings",
    "ensure_valid_soundings",
    "identify",
    "read_soundings",
    "readers",
    "register",
]
