"""Shared fixtures."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).parents[1]


@pytest.fixture
def mini_case(tmp_path: Path) -> Path:
    """A writable copy of the synthetic mini case."""
    dst = tmp_path / "mini_case"
    shutil.copytree(DATA / "mini_case", dst)
    return dst
