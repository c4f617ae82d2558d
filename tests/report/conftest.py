"""Fixtures for the report tests: the mini case's inventory, one Turkmenistan run."""

from __future__ import annotations

from pathlib import Path

import pytest

from openmrv.case import load_case
from openmrv.pipeline import RunChain
from openmrv.stages.inventory import estimate_inventory
from openmrv.stages.uncertainty import compute as estimate_uncertainty

ROOT = Path(__file__).parents[2]
DATA = Path(__file__).parents[1] / "data"


@pytest.fixture(scope="session")
def mini_dataset():
    """The emissions dataset of the synthetic mini case."""
    return estimate_inventory(load_case(DATA / "mini_case")).dataset


@pytest.fixture(scope="session")
def tkm_run(tmp_path_factory):
    """One Turkmenistan run of chosen stages: inventory, uncertainty with few draws, the
    plume catalogues and the verification (no own detections, no inversion)."""
    out = tmp_path_factory.mktemp("tkm") / "run"
    chain = RunChain.from_folder(ROOT / "examples" / "turkmenistan")
    chain.run_inventory()
    chain.results.uncertainty = estimate_uncertainty(chain.case, chain.results.result, draws=2000)
    return chain.run_plumes().run_verification().write(out)
