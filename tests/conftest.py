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


@pytest.fixture(autouse=True)
def _signing_key_home(tmp_path_factory, monkeypatch):
    """Runs sign manifests with a key under a temporary HOME, never the user's own."""
    home = tmp_path_factory.getbasetemp() / "home"
    home.mkdir(exist_ok=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("OPENMRV_SIGNING_KEY", raising=False)
