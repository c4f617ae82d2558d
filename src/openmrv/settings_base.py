"""The building blocks of openmrv's typed settings (``openmrv.settings``): the strict number
types, the IPCC code type, the frozen base model, the one default seed and the case limits.

A core module: it reads only its package data table (``data/case_limits.csv``).
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Strict, WithJsonSchema

#: The one random seed of openmrv's defaults (Monte Carlo draws, OSSE soundings, k-means),
#: fixed so that runs reproduce: 20 December 2025, the Japan-Turkmenistan agreement's date.
DEFAULT_SEED = 20251220
#: the limits of a case folder (a data table, read, not imported; see openmrv.case_limits)
CASE_LIMITS = Path(__file__).parent / "data" / "case_limits.csv"


@cache
def limit(name: str) -> float:
    """A row of ``data/case_limits.csv`` (years, the finest inversion grid, ...)."""
    with CASE_LIMITS.open(newline="") as fh:
        return float(next(r["value"] for r in csv.DictReader(fh) if r["name"] == name))


Number = Annotated[float, Strict()]
Count = Annotated[int, Strict(), Field(gt=0)]
Seed = Annotated[int, Strict(), Field(ge=0)]


def _code_text(value: Any) -> Any:
    """YAML reads a category such as ``2`` as a number: take it as text."""
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


#: an IPCC category code (``1.B.2``; YAML may read ``2`` as a number)
Code = Annotated[
    str,
    BeforeValidator(_code_text),
    WithJsonSchema({"type": ["string", "number"], "description": "IPCC category code"}),
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)


def _default(model: type[BaseModel], name: str) -> Any:
    """The default of a field (so derived models repeat no default)."""
    return model.model_fields[name].get_default(call_default_factory=True)
