"""The ETF data-exchange JSON (openmrv.report.etf): written from a real run's CRT cells
for a metadata file built to the structure etf-cli reads (the real metadata is not
available offline), checked, read back; and read by etf-cli itself when it is present."""

from __future__ import annotations

import importlib.util
import json
import os
import random
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from openmrv.case import load_case
from openmrv.dataformat import write_interchange, years
from openmrv.report.crt import _names, crt_categories, crt_cells
from openmrv.report.etf import (
    CALCULATED,
    LEFT_EMPTY,
    MAPPING_COLUMNS,
    NO_VARIABLE,
    NOT_TRANSFERRED,
    WRITTEN,
    ETFError,
    build_export,
    export_run,
    read_metadata,
    read_values,
    validate_document,
    write_export,
)
from openmrv.runfolder import spec
from openmrv.stages.inventory import estimate_inventory

GAS_LABEL = {"CO2": "CO₂", "CH4": "CH₄", "N2O": "N₂O"}
#: a CRT category left out of the test metadata, to see it reported
LEFT_OUT = "5.D"


def build_metadata(path: Path, seed: int = 7) -> Path:
    """A metadata file with the structure of the ETF tool's (as etf-cli reads it): the
    CRT categories of openmrv's list as nested nodes (name_prefix "<code>.", name), per
    node an emissions variable per gas in kt, calculated (not editable) where the node has
    sub-categories, plus an activity-data variable on one leaf. Not the real metadata."""
    rng = random.Random(seed)

    def uid() -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    cats = crt_categories()
    codes = [c for c in cats["code"] if c != "Total" and not c.startswith(LEFT_OUT)]
    names = dict(zip(cats["code"], cats["name"], strict=True))
    parent = dict(zip(cats["code"], cats["parent"], strict=True))
    node_of = {c: {"uid": uid(), "name_prefix": f"{c}.", "name": names[c],
                   "template_node_uid": None, "node": []} for c in codes}  # fmt: skip
    roots, variables = [], []
    for c in codes:
        p = parent[c]
        (node_of[p]["node"] if p in node_of else roots).append(node_of[c])
    for c in codes:
        has_children = any(parent[d] == c for d in codes)
        label = f"{c}. {names[c]}"
        for sub in GAS_LABEL.values():
            variables.append({
                "id": len(variables) + 1, "uid": uid(), "node_uid": node_of[c]["uid"],
                "name": f"[{label}][no classification][Emissions][{sub}][no parameter][kt]",
                "is_calculated": has_children, "is_template": False,
                "is_editable": not has_children, "dimension_to_change": [],
            })  # fmt: skip
    variables.append({
        "id": len(variables) + 1, "uid": uid(), "node_uid": node_of["3.A.1"]["uid"],
        "name": "[3.A.1. Cattle][no classification][Activity data][no gas][Population][1000s]",
        "is_calculated": False, "is_template": False, "is_editable": True,
        "dimension_to_change": [],
    })  # fmt: skip
    doc = {"Metadata": [{
        "version": {"name": "openmrv test metadata", "version": "0",
                    "publication_date": "2026-01-01"},
        "node": roots, "variable": variables, "grid": [],
        "dimension": [{"id": 1, "name": "NAVIGATION"}],
        "dimension_instance": [{"dimension_id": 1, "id": 1, "uid": node_of["1"]["uid"],
                                "name": "1. Energy", "children": []}],
    }]}  # fmt: skip
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def run_dataset():
    """The Turkmenistan case's emissions dataset."""
    case = load_case(Path(__file__).parents[2] / "examples" / "turkmenistan")
    return estimate_inventory(case).dataset


@pytest.fixture(scope="module")
def metadata_file(tmp_path_factory):
    return build_metadata(tmp_path_factory.mktemp("etf") / "metadata.json")


def test_export_round_trips_and_checks(run_dataset, metadata_file, tmp_path):
    meta = read_metadata(metadata_file)
    cells, yrs = crt_cells(run_dataset), years(run_dataset)
    export = build_export(cells, yrs, meta, _names())
    assert validate_document(export.document, meta) == []
    write_export(export, tmp_path / "crt_etf.json", tmp_path / "map.csv")
    doc = json.loads((tmp_path / "crt_etf.json").read_text(encoding="utf-8"))
    assert validate_document(doc, meta) == []
    back = read_values(doc, meta)
    mapping = export.mapping
    assert tuple(mapping.columns) == MAPPING_COLUMNS
    written = mapping[mapping["status"] == WRITTEN]
    assert len(written) > 20
    # every written cell comes back as it was, for every year with a value
    n = 0
    for r in written.itertuples():
        for y, cell in zip(yrs, cells[r.gas][r.crt_code], strict=True):
            if cell is None:
                assert (r.crt_code, r.gas, y) not in back
                continue
            got = back[(r.crt_code, r.gas, y)]
            assert got == cell if isinstance(cell, str) else got == pytest.approx(cell, rel=1e-12)
            n += 1
    assert n == sum(len(e["values"]) for e in doc["data"]["values"])
    # every CRT cell with a value has exactly one row saying where it went
    with_value = {
        (c, g) for g in cells for c, s in cells[g].items() if any(v is not None for v in s)
    }
    listed = mapping[mapping["status"] != LEFT_EMPTY]
    assert set(zip(listed["crt_code"], listed["gas"], strict=True)) == with_value
    assert len(listed) == len(with_value)
    # the category left out of the metadata is reported, not dropped
    assert set(mapping.loc[mapping["crt_code"].str.startswith(LEFT_OUT), "status"]) == {NO_VARIABLE}
    assert mapping.loc[mapping["crt_code"] == "Total", "status"].tolist() == [NO_VARIABLE] * 3
    # sector totals are left to the tool; the calculated ones are never in the file
    assert (mapping.loc[mapping["crt_code"] == "1", "status"] == CALCULATED).all()
    calc_uids = {u for u, v in meta.variables.items() if v.calculated}
    assert not calc_uids & {i["variable_uid"] for e in doc["data"]["values"] for i in e["values"]}


def test_leaf_values_add_up_to_the_sector(run_dataset, metadata_file):
    """Independent check: the energy leaves written for CO2 in the last year, plus what
    could not be transferred below energy, add up to the dataset's own IPCC sector 1."""
    meta = read_metadata(metadata_file)
    cells, yrs = crt_cells(run_dataset), years(run_dataset)
    export = build_export(cells, yrs, meta, _names())
    back = read_values(export.document, meta)
    last = yrs[-1]
    m = export.mapping
    lost = m[(m["status"] == NOT_TRANSFERRED) & (m["gas"] == "CO2")]
    lost_codes = [c for c in lost["crt_code"] if c.startswith("1.")]
    # keep only the outermost untransferred codes (a lost parent covers its lost children)
    outer = [c for c in lost_codes if not any(c.startswith(o + ".") for o in lost_codes)]
    total = sum(
        v
        for (c, g, y), v in back.items()
        if g == "CO2" and y == last and c.startswith("1.") and isinstance(v, float)
    )
    total += sum(cells["CO2"][c][-1] for c in outer if isinstance(cells["CO2"][c][-1], float))
    cat = run_dataset.attrs["cat"]
    sector = run_dataset["CO2"].sel({cat: "1"}).isel({"area (ISO3)": 0, "source": 0})
    expected = float(sector.sel(time=str(last)).values[0])
    assert total == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d.pop("data"), ".data.values: missing"),
        (lambda d: d["data"]["values"][0].update(inventory_year="2020"), "not an integer"),
        (lambda d: d["data"]["values"][0]["values"][0].update(value="XX"), "neither a number"),
        (lambda d: d["data"]["values"][0]["values"][0].update(value=float("nan")), "neither"),
        (lambda d: d["data"]["values"][0]["values"][0].update(variable_uid="nope"), "not in"),
        (lambda d: d["data"]["values"].append(dict(d["data"]["values"][0])), "given twice"),
    ],
)
def test_validator_finds_each_problem(run_dataset, metadata_file, mutate, expected):
    meta = read_metadata(metadata_file)
    doc = build_export(crt_cells(run_dataset), years(run_dataset), meta).document
    doc = json.loads(json.dumps(doc))
    mutate(doc)
    problems = validate_document(doc, meta)
    assert any(expected in p for p in problems), problems


def test_validator_refuses_calculated_variable(run_dataset, metadata_file):
    meta = read_metadata(metadata_file)
    doc = build_export(crt_cells(run_dataset), years(run_dataset), meta).document
    calc = next(u for u, v in meta.variables.items() if v.calculated)
    doc["data"]["values"][0]["values"].append({"variable_uid": calc, "value": 1.0})
    assert any("calculated by the tool" in p for p in validate_document(doc, meta))


def test_bad_metadata_is_an_input_error(tmp_path):
    bad = tmp_path / "m.json"
    bad.write_text('{"Metadata": {}}')
    with pytest.raises(ETFError, match="not an ETF metadata file"):
        read_metadata(bad)
    with pytest.raises(ETFError, match="not found"):
        read_metadata(tmp_path / "missing.json")


def test_export_run_writes_beside_never_into(tmp_path, metadata_file, run_dataset):
    run = tmp_path / "run"
    run.mkdir()
    write_interchange(run_dataset, run / spec.INTERCHANGE_STEM)
    with pytest.raises(ETFError, match="never into it"):
        export_run(run, metadata_file, run / "etf")
    out = tmp_path / "etf"
    export = export_run(run, metadata_file, out)
    assert (out / spec.CRT_ETF_JSON).is_file() and (out / spec.CRT_ETF_MAPPING_CSV).is_file()
    assert export.counts()[WRITTEN] > 0
    assert {o.name for o in spec.EXPORTS} == {spec.CRT_ETF_JSON, spec.CRT_ETF_MAPPING_CSV}
    # read from the run folder's interchange files: the same as from the dataset itself
    direct = build_export(crt_cells(run_dataset), years(run_dataset), read_metadata(metadata_file),
                          _names())  # fmt: skip
    assert export.mapping.equals(direct.mapping)
    on_disk = json.loads((out / spec.CRT_ETF_JSON).read_text(encoding="utf-8"))
    assert on_disk == json.loads(json.dumps(direct.document))


def _etf_cli_src() -> str | None:
    """Where etf-cli (unfccc/etf-cli, installed from its public source beside the project)
    can be imported from: $OPENMRV_ETF_CLI_SRC, or an installed ``unfccc.etf``."""
    src = os.environ.get("OPENMRV_ETF_CLI_SRC")
    if src and (Path(src) / "unfccc" / "etf" / "cli.py").is_file():
        return src
    try:
        found = importlib.util.find_spec("unfccc.etf.cli") is not None
    except ModuleNotFoundError:
        found = False
    return "" if found else None


@pytest.mark.skipif(_etf_cli_src() is None, reason="etf-cli not present (OPENMRV_ETF_CLI_SRC)")
def test_etf_cli_reads_the_file_and_finds_nothing_to_fix(run_dataset, metadata_file, tmp_path):
    meta = read_metadata(metadata_file)
    export = build_export(crt_cells(run_dataset), years(run_dataset), meta)
    write_export(export, tmp_path / "crt_etf.json", tmp_path / "map.csv")
    env = dict(os.environ)
    src = _etf_cli_src()
    if src:
        env["PYTHONPATH"] = src
    cli = [sys.executable, "-m", "unfccc.etf.cli", "-m", str(metadata_file), "data"]
    stats = subprocess.run([*cli, "stats", str(tmp_path / "crt_etf.json")], env=env,
                           capture_output=True, text=True, check=False)  # fmt: skip
    assert stats.returncode == 0, stats.stderr
    assert "Country data:" in stats.stderr
    fixed = subprocess.run([*cli, "fix", "-r", "ALL", str(tmp_path / "crt_etf.json")], env=env,
                           capture_output=True, text=True, check=False)  # fmt: skip
    assert fixed.returncode == 0, fixed.stderr
    assert json.loads(fixed.stdout) == export.document  # nothing to change
