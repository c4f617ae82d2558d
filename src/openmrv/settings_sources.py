"""The inversion's choice of input sources (``top_down: inversion:``): which wind level
the transport model reads and which geography places the prior (docs/inversion.md).

Kept apart from :mod:`openmrv.settings` (which imports these models as bases of the
inversion's section and settings) so that the settings module stays small.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

WindLevel = Literal["boundary_layer", "10m"]
PriorGeography = Literal["openmrv", "edgar"]


class SourcesSection(BaseModel):
    """The source fields of ``top_down: inversion:``, as written."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    winds_levels: str | None = Field(
        None,
        description="ERA5 pressure-level file (u, v on pressure levels) for the "
        "boundary-layer-mean wind; needs 'winds' to be the matching ERA5 single-level "
        "file (surface pressure). Default: the fetch cache's joined file",
    )
    wind_level: WindLevel = Field(
        "boundary_layer",
        description="boundary_layer: the pressure-weighted boundary-layer-mean wind where "
        "pressure levels are given or cached; 10m: the 10 m wind",
    )
    prior_geography: PriorGeography = Field(
        "openmrv",
        description="openmrv: its own placement (facilities, carriers, land); edgar: the "
        "EDGAR v8.0 sector maps of the prior's year in the fetch cache (pattern only; "
        "national totals stay the inventory's)",
    )


class SourcesSettings(BaseModel):
    """The source fields of the inversion's settings, files resolved."""

    model_config = ConfigDict(frozen=True)

    winds_levels: Path | None = None
    wind_level: WindLevel = "boundary_layer"
    prior_geography: PriorGeography = "openmrv"
    #: EDGAR sector code -> cached file of the prior's year (prior_geography edgar)
    edgar: dict[str, Path] = Field(default_factory=dict)

    def with_sources(self, section: SourcesSection, **files: object):
        """A copy with the section's choices and the resolved files (``winds_levels``,
        ``edgar``)."""
        choice = section.model_dump(include={"wind_level", "prior_geography"})
        return self.model_copy(update={**choice, **files})
