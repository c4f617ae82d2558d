"""Settings of a national inversion (case.yaml ``top_down: inversion:``) with their defaults.

The settings are checked where they are read (:mod:`openmrv.stages.inversion`); here they
are a plain record the science functions of :mod:`.national` and :mod:`.transport_error`
take.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

#: the inventory sectors an inversion resolves by default (IPCC 2006 codes)
DEFAULT_SECTORS = ["1.A", "1.B.1", "1.B.2", "2", "3.A", "3.B", "3.C", "4.A", "4.B", "4.D"]
#: how the transport (model) error enters S_o: perturbed-wind ensemble, rank-one scaling
TRANSPORT_ERRORS = ("ensemble", "scaling", "none")


@dataclass
class InversionSettings:
    """Inversion settings (case.yaml ``top_down: inversion:``) with their defaults."""

    region: str
    year: int
    resolution: float = 0.25
    padding: float = 1.0
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    winds: Path | None = None
    prior_error: float = 0.5
    obs_error: float | None = None
    bc_error: float = 10.0
    gamma: float = 1.0
    correlation_length_km: float = 0.0
    sector_prior_error: str = "inventory"
    mode: str = "clusters"
    clusters: int = 150
    hotspot_fraction: float = 0.01
    sectors: list[str] = field(default_factory=lambda: list(DEFAULT_SECTORS))
    soundings: list[Path] = field(default_factory=list)
    sampling: str = "gosat"
    truth_scale: dict[str, float] = field(default_factory=dict)
    seed: int = 20251220
    wind_error: bool = True
    transport_error: str = "ensemble"

    @property
    def osse(self) -> bool:
        return not self.soundings
