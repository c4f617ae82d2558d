"""Typed settings (openmrv.settings): defaults in one place, errors with file and line, the
shipped JSON Schema of case.yaml, one seed constant."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
import yaml

from openmrv.case import load_case, read_activity
from openmrv.errors import CaseError
from openmrv.estimate.inventory import compile_inventory
from openmrv.factors import FactorLibrary
from openmrv.notation import read_notation_keys
from openmrv.settings import (
    DEFAULT_SECTORS,
    DEFAULT_SEED,
    CaseFile,
    InversionSection,
    InversionSettings,
    OsseSection,
    StateVectorSection,
    UncertaintySettings,
    case_json_schema,
)

ROOT = Path(__file__).parents[1]
SRC = ROOT / "src" / "openmrv"
EXAMPLE = ROOT / "examples" / "turkmenistan"

#: the defaults as docs/data-format.md and docs/inversion.md state them
DOCUMENTED = {
    (CaseFile, "gwp"): "AR5GWP100",
    (CaseFile, "category_system"): "IPCC2006",
    (CaseFile, "gap_filling"): "none",
    (CaseFile, "description"): "",
    (UncertaintySettings, "draws"): 100_000,
    (UncertaintySettings, "seed"): 20251220,
    (UncertaintySettings, "chunk_size"): 20_000,
    (InversionSection, "resolution"): 0.25,
    (InversionSection, "padding"): 1.0,
    (InversionSection, "prior_error"): 0.5,
    (InversionSection, "obs_error"): None,
    (InversionSection, "bc_error"): 10.0,
    (InversionSection, "gamma"): 1.0,
    (InversionSection, "correlation_length_km"): 0.0,
    (InversionSection, "sector_prior_error"): "inventory",
    (InversionSection, "transport_error"): "ensemble",
    (InversionSection, "sectors"): list(DEFAULT_SECTORS),
    (StateVectorSection, "mode"): "clusters",
    (StateVectorSection, "clusters"): 150,
    (StateVectorSection, "hotspot_fraction"): 0.01,
    (OsseSection, "sampling"): "gosat",
    (OsseSection, "seed"): 20251220,
    (OsseSection, "wind_error"): True,
}


def _write(case_dir: Path, **changes) -> Path:
    cfg = yaml.safe_load((case_dir / "case.yaml").read_text())
    cfg.update(changes)
    (case_dir / "case.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    return case_dir


@pytest.mark.parametrize(
    ("model", "name"), list(DOCUMENTED), ids=lambda x: getattr(x, "__name__", x)
)
def test_documented_defaults(model, name):
    field = model.model_fields[name]
    assert field.get_default(call_default_factory=True) == DOCUMENTED[(model, name)]


def test_inversion_settings_take_their_defaults_from_the_case_file_models():
    s = InversionSettings(region="TKM", year=2020)
    assert s.resolution == InversionSection().resolution
    assert (s.mode, s.clusters) == (StateVectorSection().mode, StateVectorSection().clusters)
    assert (s.sampling, s.seed) == (OsseSection().sampling, DEFAULT_SEED)
    assert s.osse


def test_case_attributes_come_from_the_models(mini_case):
    case = load_case(mini_case)
    assert isinstance(case.settings, CaseFile)
    unc = UncertaintySettings()
    assert (case.mc_draws, case.mc_seed, case.mc_chunk_size) == (
        unc.draws,
        unc.seed,
        unc.chunk_size,
    )
    assert case.gap_filling == "none" and case.category_system == "IPCC2006"
    assert case.inversion is None and case.inversion_settings is None
    inv = case.inventory_settings
    assert (inv.gwp, inv.years, inv.config_file) == (case.gwp, case.years, case.config_file)


@pytest.mark.parametrize(
    ("old", "new", "fragments"),
    [
        (
            "gwp: AR5GWP100",
            "gwp: AR5GWP100\ngap_filling: interp",
            ["line 6", "gap_filling", "'interp'", "none, interpolate or interpolate+extrapolate"],
        ),
        ("gwp: AR5GWP100", "gwp: AR9GWP100", ["line 5", "gwp", "'AR9GWP100'", "AR6GWP100"]),
        ("{region: Asia}", "{regio: Asia}", ["line 6", "qualifiers.regio", "region, climate"]),
        ("name: mini", "name: mini\nuncertainty: {draws: 0}", ["line 3", "draws", "positive"]),
        ("name: mini", "name: mini\ncolour: red", ["line 3", "unknown settings ['colour']"]),
        (
            "name: mini",
            "name: mini\ntop_down:\n  inversion:\n    transport_error: perfect",
            ["line 5", "top_down.inversion.transport_error", "ensemble, scaling or none"],
        ),
    ],
)
def test_bad_value_names_file_line_field_and_choices(mini_case, old, new, fragments):
    path = mini_case / "case.yaml"
    path.write_text(path.read_text().replace(old, new, 1))
    with pytest.raises(CaseError) as err:
        load_case(mini_case)
    text = str(err.value)
    assert text.startswith(str(path))
    for frag in fragments:
        assert frag in text, (frag, text)


def test_missing_file_names_its_line(mini_case):
    with pytest.raises(CaseError, match=r"line \d+, field 'activity'.*does not exist"):
        load_case(_write(mini_case, activity=["activity.csv", "nothing.csv"]))


def test_inversion_checks_run_when_the_settings_are_used(mini_case):
    case = load_case(_write(mini_case, top_down={"inversion": {"year": 1999}}))
    with pytest.raises(CaseError, match="year 1999 is outside the inventory's 2000-2002"):
        case.inversion_settings  # noqa: B018


def test_shipped_schema_is_the_generated_one():
    shipped = json.loads((ROOT / "docs" / "case.schema.json").read_text(encoding="utf-8"))
    assert shipped == case_json_schema(), "run: python -m openmrv.settings docs/case.schema.json"


@pytest.mark.parametrize("case_dir", [EXAMPLE, ROOT / "tests" / "data" / "mini_case"])
def test_case_files_validate_against_the_schema(case_dir):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((ROOT / "docs" / "case.schema.json").read_text(encoding="utf-8"))
    # YAML dates become ISO strings, as in JSON
    data = json.loads(json.dumps(yaml.safe_load((case_dir / "case.yaml").read_text()), default=str))
    jsonschema.validate(data, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**data, "gwp": "AR9GWP100"}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**data, "colour": "red"}, schema)


def _literals(path: Path, value: int) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Constant) and n.value == value]


def test_the_seed_is_written_once():
    allowed = {SRC / "settings_base.py"}
    found = {p: _literals(p, DEFAULT_SEED) for p in SRC.rglob("*.py")}
    assert {p for p, lines in found.items() if lines} <= allowed
    assert len(found[SRC / "settings_base.py"]) == 1


def test_estimate_imports_no_case_stage_pipeline_or_cli():
    banned = ("openmrv.case", "openmrv.pipeline", "openmrv.cli", "openmrv.stages")
    banned += ("openmrv.inversion_case", "openmrv.plumes_cli")
    for path in (SRC / "estimate").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                assert not name.startswith(banned), f"{path}: imports {name}"


def test_settings_is_a_core_module():
    allowed = ("openmrv.errors", "openmrv.categories", "openmrv.gwp", "openmrv.units")
    allowed += ("openmrv.dataformat", "openmrv.factors", "openmrv.settings_errors")
    allowed += ("openmrv.settings_base", "openmrv.settings_topdown")
    allowed += ("openmrv.settings_sources",)
    tree = ast.parse((SRC / "settings.py").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("openmrv"):
            assert node.module in allowed, node.module


def test_engine_takes_inventory_settings_or_the_case(mini_case):
    """compile_inventory(case.inventory_settings, ...) == compile_inventory(case, ...)."""
    case = load_case(mini_case)
    act, nk = read_activity(case), read_notation_keys(case)
    lib = FactorLibrary.default(extra=case.factor_files, qualifiers=case.qualifiers)
    typed = compile_inventory(case.inventory_settings, act, nk, lib)
    duck = compile_inventory(case, act, nk, lib)
    assert typed.dataset.identical(duck.dataset)
    assert typed.records().equals(duck.records())
