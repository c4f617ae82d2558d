"""Fixtures for the observe tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from observe.synthetic import write_gosat2_nies, write_gosat_nies


@pytest.fixture
def gosat_file(tmp_path: Path) -> Path:
    return write_gosat_nies(tmp_path / "GOSATTFTS20120101_02C02SV0295R12030800010.h5")


@pytest.fixture
def gosat2_file(tmp_path: Path) -> Path:
    return write_gosat2_nies(tmp_path / "GOSAT2TFTS22020060100000000_02SWFPV0110010080.h5")
