"""The headline stage: the run's conclusion in plain words
(:func:`openmrv.verify.headline.headline`) from the verification table and the citations
of the published estimates it used; :func:`write` writes ``headline.json``, which the
console summary of ``openmrv run`` and the report show first."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from openmrv import runfolder as rf
from openmrv.case import Case
from openmrv.verify.headline import Headline, headline
from openmrv.verify.published import read_published


def compute(case: Case, verification: pd.DataFrame | None) -> Headline:
    """The headline of the case's run (``verification``: the verification stage's table,
    None when there was no top-down evidence)."""
    published = read_published(case.published_estimates_file) if case.published_estimates else None
    return headline(verification, f"{case.name} ({case.country})", published)


def write(result: Headline, folder: Path) -> list[Path]:
    """Write ``headline.json``."""
    path = folder / rf.HEADLINE_JSON
    path.write_text(json.dumps(result.to_dict(), indent=1, ensure_ascii=False) + "\n", "utf-8")
    return [path]
