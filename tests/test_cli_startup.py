"""The command line starts quickly (issue 19): registering the commands loads none of the
heavy scientific modules; each command imports what it needs when it runs.

Checked in a fresh interpreter through ``sys.modules`` (a timing could pass by luck)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("matplotlib", "xarray", "scipy", "dask", "pandas", "openscm_units", "climate_categories")


def _loaded(code: str) -> set[str]:
    """The top-level packages of HEAVY that are in sys.modules after running ``code``."""
    probe = (
        f"{code}\nimport json, sys\n"
        f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    return set(json.loads(out.splitlines()[-1]))


def test_importing_the_command_line_loads_no_heavy_module():
    assert _loaded("import openmrv.cli") == set()


@pytest.mark.parametrize("argv", [["--help"], ["version"], ["run", "--help"]])
def test_light_commands_load_no_heavy_module(argv):
    code = (
        "import sys\nfrom openmrv.cli import app\n"
        f"try:\n    app({argv!r})\nexcept SystemExit:\n    pass"
    )
    assert _loaded(code) == set()


def test_the_probe_sees_a_heavy_import():
    """The check itself can fail: a command that runs the inventory loads xarray."""
    assert "xarray" in _loaded("import openmrv.cli\nimport openmrv.dataformat")
