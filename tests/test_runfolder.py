"""The run-folder spec (issue 12) and never losing data with --out (issue 20, items 2-3)."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from openmrv import runfolder as rf
from openmrv.case import load_case
from openmrv.pipeline import run_inventory
from openmrv.report.manifest import verify_manifest
from openmrv.report.write import write_reports
from openmrv.stages import inventory as inventory_stage
from openmrv.stages.inventory import InventoryOutput, estimate_inventory

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def mini(tmp_path_factory):
    """The mini case computed once: (case, result)."""
    case = load_case(DATA / "mini_case")
    return case, estimate_inventory(case)


def _write(tmp: Path, mini) -> None:
    """What the pipeline writes into a run folder for the mini case (no PDF)."""
    case, result = mini
    inventory_stage.write(InventoryOutput(result, pd.DataFrame()), case, tmp)
    write_reports(tmp, case, result, pdf=False)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, mini):
    """A mini-case run folder written through the safe writer."""
    base = tmp_path_factory.mktemp("rf")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOME", str(base / "home"))
        mp.delenv("OPENMRV_SIGNING_KEY", raising=False)
        with rf.open_run(base / "run", case_root=DATA / "mini_case") as tmp:
            _write(tmp, mini)
    return base / "run"


@pytest.fixture
def copy(run_dir, tmp_path) -> Path:
    dst = tmp_path / "copy"
    shutil.copytree(run_dir, dst)
    return dst


def _tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): (b"" if p.is_dir() else p.read_bytes())
        for p in sorted(root.rglob("*"))
    }


# --------------------------------------------------------------------------- A: the spec
def test_every_output_declared_once_and_constants_shared():
    names = [o.name for o in rf.OUTPUTS]
    assert len(names) == len(set(names))
    assert {o.stage for o in rf.OUTPUTS} <= set(rf.STAGES)
    base = json.loads((DATA / "baseline_outputs.json").read_text())
    for rel in base:  # every file of a full Turkmenistan run (main, 6346ace) is declared
        assert rf.output(rel) is not None, rel
    from openmrv.observe.catalogues import PLUME_CORE
    from openmrv.stages.plumes import TABLE_COLUMNS
    from openmrv.verify import topdown

    assert tuple(PLUME_CORE) == rf.PLUME_CORE
    assert tuple(TABLE_COLUMNS[: len(rf.PLUME_CORE)]) == rf.PLUME_CORE
    assert tuple(topdown.COLUMNS) == rf.VERIFICATION_COLUMNS
    assert tuple(topdown.FLAGS) == rf.VERIFICATION_FLAGS
    assert tuple(topdown.TOP_DOWN_COLUMNS) == rf.TOP_DOWN_COLUMNS
    assert rf.path("/r", rf.EMISSIONS_CSV) == Path("/r/emissions.csv")
    with pytest.raises(KeyError):
        rf.path("/r", "nope.csv")


def test_written_run_is_valid_marked_and_verifies(run_dir):
    assert rf.ensure_valid_run(run_dir) == run_dir
    marker = rf.read_marker(run_dir)
    assert marker["complete"] and marker["written_by"] == "openmrv"
    assert set(marker["files"]) == set(rf.files_of(run_dir))
    assert verify_manifest(run_dir) == []  # the marker is not an output of the manifest
    doc = json.loads((run_dir / rf.MANIFEST_JSON).read_text())
    assert rf.MARKER not in {o["path"] for o in doc["outputs"]}
    assert not list(run_dir.parent.glob(".run.*"))  # no lock, no temporary sibling


def test_missing_required_output(copy):
    (copy / rf.EMISSIONS_CSV).unlink()
    with pytest.raises(rf.MissingOutputError, match=r"emissions\.csv.*required output"):
        rf.ensure_valid_run(copy)


def test_missing_marker(copy):
    (copy / rf.MARKER).unlink()
    with pytest.raises(rf.MissingOutputError, match="marker"):
        rf.ensure_valid_run(copy)
    rf.ensure_valid_run(copy, require_marker=False)


def test_corrupt_csv_and_json(copy):
    (copy / rf.ACTIVITY_CSV).write_text('category,gas\n"1.A,CO2\n')
    with pytest.raises(rf.OutputFormatError, match=r"activity\.csv"):
        rf.ensure_valid_run(copy)
    (copy / rf.ACTIVITY_CSV).write_text("category,gas\n1.A,CO2\n")
    with pytest.raises(rf.OutputFormatError, match=r"activity\.csv.*missing column"):
        rf.ensure_valid_run(copy)


def test_corrupt_json_and_binary(copy):
    (copy / rf.CRT_JSON).write_text("{not json")
    with pytest.raises(rf.OutputFormatError, match=r"crt\.json.*JSON"):
        rf.ensure_valid_run(copy)


def test_truncated_netcdf(copy):
    (copy / rf.INVENTORY_NC).write_bytes(b"")
    with pytest.raises(rf.OutputFormatError, match=r"inventory\.nc.*netcdf"):
        rf.ensure_valid_run(copy)


def test_unknown_file_and_folder(copy):
    (copy / "notes.txt").write_text("mine")
    with pytest.raises(rf.UnknownOutputError, match=r"notes\.txt"):
        rf.ensure_valid_run(copy)
    (copy / "notes.txt").unlink()
    (copy / "extra").mkdir()
    with pytest.raises(rf.UnknownOutputError, match="extra"):
        rf.ensure_valid_run(copy)


def _plumes() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "time": ["2021-09-28 08:21:42", "2021-01-11T09:36:42", "2021-01-12 09:00:00"],
            "lat": [38.5, 39.0, np.nan],
            "lon": [54.2, 55.0, np.nan],
            "rate_t_per_h": [12.0, 30.5, np.nan],
            "rate_sigma_t_per_h": [4.0, 10.0, np.nan],
            "method": ["IME", "IME (SRON)", "IME"],
            "source": ["openmrv", "SRON", "openmrv"],
            "facility_id": ["F1", "", ""],
            "scene": ["a.npz", "", "b.npz"],
            "detected": [True, np.nan, False],
            "flags": ["", "", "no plume"],
        }
    )


def test_plume_table_validator(copy):
    good = _plumes()
    rf.validate_plume_table(good)
    for col, row, value, match in (
        ("lat", 0, 200.0, r"lat.*\[-90, 90\].*rows 2"),
        ("rate_t_per_h", 1, np.nan, "rate_t_per_h.*finite rate"),
        ("rate_t_per_h", 0, -1.0, "negative"),
        ("rate_sigma_t_per_h", 0, -0.1, "negative"),
        ("time", 1, "yesterday", "time.*date"),
        ("lon", 1, "east", "not a number"),
    ):
        bad = good.copy()
        bad[col] = bad[col].astype(object)
        bad.loc[row, col] = value
        with pytest.raises(rf.PlumeTableError, match=match):
            rf.validate_plume_table(bad)
    # in a run folder: plumes.csv with a latitude of 200 fails the whole folder
    bad = good.copy()
    bad.loc[0, "lat"] = 200.0
    bad.to_csv(copy / rf.PLUMES_CSV, index=False)
    with pytest.raises(rf.PlumeTableError, match=r"plumes\.csv.*lat"):
        rf.ensure_valid_run(copy)
    good.to_csv(copy / rf.PLUMES_CSV, index=False)
    rf.ensure_valid_run(copy)


def _verification() -> pd.DataFrame:
    row = dict.fromkeys(rf.VERIFICATION_COLUMNS, 1.0)
    row.update(category="1.B.2", gas="CH4", evidence="inversion (OSSE, synthetic)", osse=True)
    row.update(evidence_year=2020, inventory_year=2020, flag="consistent", explanation="x")
    return pd.DataFrame([row])


def test_top_down_and_verification_validators(copy):
    td = pd.DataFrame(
        [["1.B.2", "CH4", 2021, 100.0, 10.0, "plumes", "lower_bound"]],
        columns=list(rf.TOP_DOWN_COLUMNS),
    )
    rf.validate_top_down(td)
    bad = td.assign(kind="upper_bound")
    with pytest.raises(rf.TopDownTableError, match=r"kind.*upper_bound"):
        rf.validate_top_down(bad)
    with pytest.raises(rf.TopDownTableError, match=r"sigma_kt.*negative"):
        rf.validate_top_down(td.assign(sigma_kt=-1.0))
    with pytest.raises(rf.TopDownTableError, match="gas"):
        rf.validate_top_down(td.assign(gas="SF7"))
    ver = _verification()
    rf.validate_verification(ver)
    with pytest.raises(rf.TopDownTableError, match="flag"):
        rf.validate_verification(ver.assign(flag="fine"))
    with pytest.raises(rf.TopDownTableError, match="osse"):
        rf.validate_verification(ver.assign(osse="maybe"))
    with pytest.raises(rf.TopDownTableError, match="OSSE"):
        rf.validate_verification(ver.assign(evidence="inversion"))
    with pytest.raises(rf.TopDownTableError, match="top_down_kt"):
        rf.validate_verification(ver.assign(top_down_kt=np.nan))
    ver.assign(flag="fine").to_csv(copy / rf.VERIFICATION_CSV, index=False)
    with pytest.raises(rf.TopDownTableError, match=r"verification\.csv.*flag"):
        rf.ensure_valid_run(copy)


# --------------------------------------------------------------------------- B: --out
@pytest.fixture
def cwd(tmp_path_factory, monkeypatch):
    """A current folder away from tmp_path."""
    here = tmp_path_factory.mktemp("cwd")
    monkeypatch.chdir(here)
    return here


def test_check_out_refuses_before_computing(mini_case, cwd, tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "thesis.docx").write_text("years of work")
    (tmp_path / "file.txt").write_text("a file")
    (tmp_path / "link").symlink_to(tmp_path / "data")
    before = _tree(tmp_path)
    for out, match in (
        ("/", "root folder"),
        (".", "current folder"),
        ("..", "current folder"),
        (mini_case, "case folder"),
        (mini_case.parent, "case folder"),
        (mini_case / "out", "inside the case folder"),
        (tmp_path / "data", r"did not write \(thesis\.docx\)"),
        (tmp_path / "file.txt", "existing file"),
        (tmp_path / "link", "symbolic link"),
        ("", "empty"),
    ):
        with pytest.raises(rf.OutFolderError, match=match):
            rf.check_out(out, case_root=mini_case)
        with pytest.raises(rf.OutFolderError, match=match), rf.open_run(out, case_root=mini_case):
            raise AssertionError("the body must not run")
    assert _tree(tmp_path) == before
    assert rf.check_out(tmp_path / "new" / "run", case_root=mini_case) == tmp_path / "new" / "run"
    (cwd / "empty").mkdir()
    assert rf.check_out("empty") == cwd / "empty"


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_check_out_unwritable_parent(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir(mode=0o555)
    with pytest.raises(rf.OutFolderError, match="cannot write"):
        rf.check_out(ro / "run")


@pytest.mark.parametrize("where", ["case", "parent", "unrelated", "file"])
def test_run_inventory_out_refused_before_computing(mini_case, tmp_path, where, monkeypatch):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "thesis.docx").write_text("years of work")
    (tmp_path / "file.txt").write_text("a file")
    out = {
        "case": mini_case,
        "parent": tmp_path,
        "unrelated": tmp_path / "data",
        "file": tmp_path / "file.txt",
    }[where]
    before = _tree(tmp_path)
    computed = []
    real = inventory_stage.estimate_inventory
    monkeypatch.setattr(
        inventory_stage, "estimate_inventory", lambda *a: computed.append(1) or real(*a)
    )
    with pytest.raises(rf.OutFolderError):
        run_inventory(mini_case, out)
    assert not computed and _tree(tmp_path) == before


def test_run_inventory_leftover_old_does_not_break_the_run(mini_case, tmp_path):
    (tmp_path / "out.old").mkdir()
    (tmp_path / "out.old" / "x").write_text("left over")
    (tmp_path / "out.partial").mkdir()
    run_inventory(mini_case, tmp_path / "out")
    run_inventory(mini_case, tmp_path / "out")  # before runfolder: failed renaming out to out.old
    assert (tmp_path / "out.old" / "x").read_text() == "left over"
    rf.ensure_valid_run(tmp_path / "out")


def _toy(tmp: Path, tag: str = "a", pause: float = 0.0) -> None:
    (tmp / rf.EMISSIONS_CSV).write_text(f"category,gas\n1.A,{tag}\n")
    time.sleep(pause)
    (tmp / rf.INVERSION_DIR).mkdir()
    (tmp / rf.INVERSION_TOTALS_CSV).write_text(tag)


def test_replaces_own_run_folder_and_keeps_stale_siblings(tmp_path):
    out = tmp_path / "out"
    (tmp_path / "out.old").mkdir()  # an older openmrv's leftovers: not in the way, kept
    (tmp_path / "out.old" / "x").write_text("left over")
    (tmp_path / "out.partial").mkdir()
    with rf.open_run(out, validate=False) as tmp:
        _toy(tmp, "a")
    with rf.RunFolderWriter(out, validate=False) as w:
        _toy(w.path, "b")
        assert w.final(w.path / rf.EMISSIONS_CSV) == out / rf.EMISSIONS_CSV
    assert (out / rf.INVERSION_TOTALS_CSV).read_text() == "b"
    assert rf.read_marker(out)["files"] == [rf.EMISSIONS_CSV, rf.INVERSION_TOTALS_CSV]
    assert (tmp_path / "out.old" / "x").read_text() == "left over"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "out.old", "out.partial"]
    # a file added to the run folder by the user: the folder is no longer replaced
    (out / "my_notes.txt").write_text("mine")
    with pytest.raises(rf.OutFolderError, match=r"my_notes\.txt"), rf.open_run(out):
        pass
    assert (out / "my_notes.txt").read_text() == "mine"


def test_legacy_run_folder_is_replaced(tmp_path):
    """A run folder of an openmrv without the marker: its manifest lists what it wrote."""
    out = tmp_path / "out"
    out.mkdir()
    (out / rf.EMISSIONS_CSV).write_text("x")
    (out / rf.MANIFEST_SIG).write_text("sig")
    doc = {"outputs": [{"path": rf.EMISSIONS_CSV, "sha256": "0"}], "inputs": []}
    (out / rf.MANIFEST_JSON).write_text(json.dumps(doc))
    with rf.open_run(out, validate=False) as tmp:
        _toy(tmp)
    assert rf.read_marker(out)["complete"]


def test_exception_mid_write_keeps_previous_folder(tmp_path):
    out = tmp_path / "out"
    with rf.open_run(out, validate=False) as tmp:
        _toy(tmp, "first")
    before = _tree(out)
    with pytest.raises(RuntimeError, match="boom"), rf.open_run(out, validate=False) as tmp:
        _toy(tmp, "second")
        raise RuntimeError("boom")
    assert _tree(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    # an invalid folder (validate=True) is never swapped in either
    with pytest.raises(rf.MissingOutputError), rf.open_run(out) as tmp:
        _toy(tmp, "third")
    assert _tree(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_stale_temporary_sibling_is_swept(tmp_path):
    out = tmp_path / "out"
    stale = tmp_path / ".out.0123456789ab.tmp"
    stale.mkdir()
    rf.write_marker(stale, complete=False)
    mine = tmp_path / ".out.notmine.tmp"
    mine.mkdir()
    with rf.open_run(out, validate=False) as tmp:
        _toy(tmp)
    assert not stale.exists() and mine.exists()


def test_second_writer_fails_fast(tmp_path):
    out = tmp_path / "out"
    with rf.RunFolderWriter(out, validate=False) as first:
        _toy(first.path)
        t0 = time.monotonic()
        with pytest.raises(rf.RunLockedError, match="another openmrv run is writing"):
            with rf.open_run(out, validate=False):
                pass
        assert time.monotonic() - t0 < 1.0
    assert rf.read_marker(out)["complete"]


def _writer(out: str, tag: str, start, home: str) -> None:  # runs in a child process
    os.environ["HOME"] = home
    start.wait()
    try:
        with rf.open_run(out, case_root=DATA / "mini_case") as tmp:
            case = load_case(DATA / "mini_case")
            _write(tmp, (case, estimate_inventory(case)))
            time.sleep(0.5 if tag == "a" else 0.0)
    except rf.RunLockedError:
        os._exit(3)
    os._exit(0)


def test_two_concurrent_runs_one_wins_folder_complete(tmp_path):
    out = str(tmp_path / "out")
    ctx = multiprocessing.get_context("fork")
    start = ctx.Event()
    procs = [
        ctx.Process(target=_writer, args=(out, t, start, str(tmp_path / "home")))
        for t in ("a", "b")
    ]
    for p in procs:
        p.start()
    start.set()
    for p in procs:
        p.join(120)
    codes = sorted(p.exitcode for p in procs)
    # usually one wins and the other fails fast; if the first finished before the second
    # started, both succeed one after the other. Never both crash, never a torn folder.
    assert codes in ([0, 3], [0, 0]), codes
    rf.ensure_valid_run(out)
    assert verify_manifest(out) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "out"]
