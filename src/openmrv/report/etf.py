"""The ETF Reporting Tool's data-exchange file ("CRT Data Exchange JSON") from the Common
Reporting Tables, its check, and a reader.

The UNFCCC's ETF GHG inventory reporting tool imports a Party's inventory as one JSON
file. What openmrv knows of its structure comes from the UNFCCC's own command-line tool
that reads, filters and fixes such files, ``unfccc/etf-cli`` (MIT; read for facts, no code
taken; see ``docs/etf-json.md``):

- the **metadata** file of the tool (the tool's tree of CRT nodes and variables, each with
  a UID) is ``{"Metadata": [{"version", "node", "variable", "dimension",
  "dimension_instance", "grid"}]}``; a node has ``uid``, ``name_prefix`` (the CRT code
  with a trailing dot, ``"3.F.1.b."``), ``name`` and child nodes under ``node``; a
  variable has ``uid``, ``node_uid``, ``name`` written
  ``[<node>][<classification>][<type>][<gas>][<parameter>][<unit>]`` (e.g.
  ``[4. Land use, land-use change and forestry][no classification][Emissions][CO₂][no
  parameter][kt]``), ``is_calculated`` and ``is_editable``;
- the **country data** file holds ``country_specific_data`` (the Party's own nodes,
  variables, grids, drop-downs and line descriptions) and ``data.values``: one entry per
  inventory year, ``{"inventory_year": <year>, "values": [{"variable_uid": <uid>,
  "value": <value>}, ...]}``.

The mapping from a CRT cell (CRT code x gas) to a variable UID is not guessed: it is read
from the metadata file the Party's tool provides, matching the node by its CRT code (and
checking its name against openmrv's CRT category list), the variable by type
``Emissions``, gas, ``no parameter`` and unit ``kt``. Variables the tool calculates
(``is_calculated``: sector totals and sums) are left to the tool. Every CRT value that
found no variable, and every emissions variable of a matched node the run leaves empty,
is listed in the mapping table that comes with the file.

Values: a number is written as a JSON number in the variable's unit (kt); a notation key
as its CRT string (``"NO"``, ``"NE"``, ``"NO,IE"``). The ETF help pages describe a typed
value encoding (notation keys as flags); that page could not be read offline when this was
written, so :func:`encode_value` is the one place to change once it is confirmed
(``docs/etf-json.md``, "What is not confirmed").
"""

from __future__ import annotations

import json
import lzma
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from openmrv import runfolder as rf
from openmrv.dataformat import NOTATION_KEYS, read_interchange, years
from openmrv.errors import InputError
from openmrv.report.crt import _names, crt_cells
from openmrv.runfolder import spec

#: Columns of the mapping table written beside the ETF file.
MAPPING_COLUMNS = ("crt_code", "gas", "status", "variable_uid", "variable_name", "years")
#: Statuses of the mapping table.
WRITTEN = "written"
NO_VARIABLE = "no variable in the metadata"
AMBIGUOUS = "several variables match"
CALCULATED = "calculated by the tool"
NOT_TRANSFERRED = (
    "calculated by the tool from sub-categories that hold no value: not transferred "
    "(report it at a sub-category)"
)
LEFT_EMPTY = "variable left empty by the run"
#: Country-data lists of ``country_specific_data`` (as etf-cli reads them).
COUNTRY_LISTS = ("dimension_instances", "nodes", "variables", "grids", "drop_downs",
                 "line_description")  # fmt: skip
_SUBSCRIPTS = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")
_NAME_PARTS = re.compile(r"\[([^\[\]]*)\]")


class ETFError(InputError):
    """An ETF metadata or country-data file is not as the ETF reporting tool has it."""


@dataclass(frozen=True)
class Variable:
    """One variable of the ETF metadata.

    Attributes
    ----------
    uid, node_uid
        The variable's UID and its node's.
    name
        Its full name, ``[node][classification][type][gas][parameter][unit]``.
    parts
        The six bracketed parts of ``name`` (empty where the name has another shape).
    calculated
        ``is_calculated`` (the tool computes it) or not ``is_editable``.
    """

    uid: str
    node_uid: str
    name: str
    parts: tuple[str, ...]
    calculated: bool

    @property
    def gas(self) -> str:
        """The gas part with subscripts as digits (``CO₂`` -> ``CO2``)."""
        return self.parts[3].translate(_SUBSCRIPTS).replace(" ", "") if self.parts else ""

    def is_emissions_kt(self) -> bool:
        """An emissions amount in kt without a parameter."""
        return bool(self.parts) and (
            self.parts[2].lower() == "emissions"
            and self.parts[4].lower() == "no parameter"
            and self.parts[5] == "kt"
        )


@dataclass
class ETFMetadata:
    """The parts of an ETF metadata file openmrv uses.

    Attributes
    ----------
    version
        The metadata's ``version`` object (name, version, publication date), if given.
    nodes
        Node UID -> (CRT code, name).
    variables
        Variable UID -> :class:`Variable`.
    path
        The file read.
    """

    version: dict[str, Any]
    nodes: dict[str, tuple[str, str]]
    variables: dict[str, Variable]
    path: Path | None = None
    by_code: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for uid, (code, _) in self.nodes.items():
            self.by_code.setdefault(code, []).append(uid)


def _walk_nodes(nodes: Iterable[Any], out: dict[str, tuple[str, str]], where: str) -> None:
    for i, node in enumerate(nodes):
        if not isinstance(node, dict) or not isinstance(node.get("uid"), str):
            raise ETFError(f"node {where}[{i}] has no 'uid' string", field="node")
        prefix = str(node.get("name_prefix") or "").strip()
        out[node["uid"]] = (prefix.rstrip("."), str(node.get("name") or ""))
        _walk_nodes(node.get("node") or [], out, f"{where}[{i}].node")


def read_metadata(path: str | Path) -> ETFMetadata:
    """Read an ETF metadata file (``.json``, or ``.json.lzma`` as etf-cli ships it).

    Raises
    ------
    ETFError
        Not JSON, or not the structure ``{"Metadata": [{"node": [...], "variable":
        [...]}]}``.
    """
    path = Path(path)
    try:
        raw = lzma.open(path).read() if path.suffix == ".lzma" else path.read_bytes()
        doc = json.loads(raw)
    except FileNotFoundError:
        raise ETFError("ETF metadata file not found", file=path) from None
    except (ValueError, lzma.LZMAError, UnicodeDecodeError) as exc:
        raise ETFError(f"not a JSON metadata file ({exc})", file=path) from None
    try:
        root = doc["Metadata"][0]
        node_list, var_list = root["node"], root["variable"]
    except (KeyError, IndexError, TypeError):
        raise ETFError(
            "not an ETF metadata file: expected {'Metadata': [{'node': [...], 'variable': "
            "[...]}]} (the file the ETF reporting tool or etf-cli provides)",
            file=path,
        ) from None
    nodes: dict[str, tuple[str, str]] = {}
    _walk_nodes(node_list, nodes, "Metadata[0].node")
    variables: dict[str, Variable] = {}
    for i, v in enumerate(var_list):
        if not isinstance(v, dict) or not isinstance(v.get("uid"), str):
            raise ETFError(f"variable {i} has no 'uid' string", file=path, field="variable")
        name = str(v.get("name") or "")
        parts = tuple(_NAME_PARTS.findall(name))
        calc = bool(v.get("is_calculated")) or v.get("is_editable") is False
        variables[v["uid"]] = Variable(
            v["uid"], str(v.get("node_uid") or ""), name, parts if len(parts) == 6 else (), calc
        )
    return ETFMetadata(dict(root.get("version") or {}), nodes, variables, path)


def encode_value(cell: float | str) -> float | str:
    """A CRT cell as an ETF value: a number [kt] as a JSON number, a notation key as its
    CRT string (see the module notes on what is not confirmed)."""
    if isinstance(cell, str):
        return cell
    return float(cell)


def decode_value(value: Any) -> float | str:
    """An ETF value back as a CRT cell (inverse of :func:`encode_value`)."""
    return value if isinstance(value, str) else float(value)


def _notation_ok(value: str) -> bool:
    keys = value.split(",")
    return bool(keys) and all(k in NOTATION_KEYS for k in keys) and len(set(keys)) == len(keys)


@dataclass
class ETFExport:
    """An ETF country-data document and how each CRT cell found (or missed) its variable.

    Attributes
    ----------
    document
        The country-data JSON object.
    mapping
        One row per CRT code x gas, and per emissions variable left empty
        (:data:`MAPPING_COLUMNS`).
    """

    document: dict[str, Any]
    mapping: pd.DataFrame

    def counts(self) -> dict[str, int]:
        """Rows of the mapping table by status."""
        return {str(k): int(v) for k, v in self.mapping["status"].value_counts().items()}


def build_export(
    cells: Mapping[str, Mapping[str, list[float | str | None]]],
    years: list[int],
    meta: ETFMetadata,
    crt_names: Mapping[str, str] | None = None,
) -> ETFExport:
    """Build the country-data document from CRT cells.

    Parameters
    ----------
    cells
        ``cells[gas][crt_code]``: a list over ``years`` of a number [kt], a notation key
        or None (:func:`openmrv.report.crt.crt_cells`).
    years
        The inventory years of the lists.
    meta
        The ETF metadata.
    crt_names
        CRT code -> name (openmrv's CRT list): a node whose name differs is still matched
        by code, and the difference is noted in the mapping table.

    Returns
    -------
    ETFExport
    """
    per_year: dict[int, list[dict[str, Any]]] = {y: [] for y in years}
    rows: list[dict[str, Any]] = []
    filled: set[str] = set()
    touched_nodes: set[str] = set()
    for gas in sorted(cells):
        for code in sorted(cells[gas]):
            series = cells[gas][code]
            got = [(y, c) for y, c in zip(years, series, strict=True) if c is not None]
            if not got:
                continue
            node_uids = meta.by_code.get(code, [])
            touched_nodes.update(node_uids)
            found = [
                v
                for v in meta.variables.values()
                if v.node_uid in node_uids and v.is_emissions_kt() and v.gas == gas
            ]
            if len(found) > 1:  # the plain (unclassified) variable, when there is one
                plain = [v for v in found if v.parts[1].lower() == "no classification"]
                found = plain if len(plain) == 1 else found
            row = {"crt_code": code, "gas": gas, "variable_uid": "", "variable_name": "",
                   "years": f"{got[0][0]}-{got[-1][0]}"}  # fmt: skip
            if not found:
                rows.append({**row, "status": NO_VARIABLE})
                continue
            if len(found) > 1:
                uids = ";".join(sorted(v.uid for v in found))
                rows.append({**row, "status": AMBIGUOUS, "variable_uid": uids})
                continue
            var = found[0]
            note = ""
            if crt_names and code in crt_names:
                node_name = meta.nodes[var.node_uid][1]
                if node_name.strip().lower() != crt_names[code].strip().lower():
                    note = f" (node name '{node_name}', CRT list '{crt_names[code]}')"
            row.update(variable_uid=var.uid, variable_name=var.name + note)
            if var.calculated:
                rows.append({**row, "status": CALCULATED})
                filled.add(var.uid)
                continue
            for year, cell in got:
                if isinstance(cell, float) and not math.isfinite(cell):
                    continue
                per_year[year].append({"variable_uid": var.uid, "value": encode_value(cell)})
            filled.add(var.uid)
            rows.append({**row, "status": WRITTEN})
    written = {(r["crt_code"], r["gas"]) for r in rows if r["status"] == WRITTEN}
    for r in rows:  # a value on a calculated variable reaches the tool only through children
        if r["status"] == CALCULATED and not any(
            g == r["gas"] and c.startswith(r["crt_code"] + ".") for c, g in written
        ):
            r["status"] = NOT_TRANSFERRED
    for var in sorted(meta.variables.values(), key=lambda v: v.name):
        if var.node_uid in touched_nodes and var.is_emissions_kt() and var.uid not in filled:
            if not var.calculated:
                code = meta.nodes.get(var.node_uid, ("", ""))[0]
                rows.append(
                    {"crt_code": code, "gas": var.gas, "status": LEFT_EMPTY,
                     "variable_uid": var.uid, "variable_name": var.name, "years": ""}
                )  # fmt: skip
    document = {
        "country_specific_data": {name: [] for name in COUNTRY_LISTS},
        "data": {
            "values": [
                {"inventory_year": int(y), "values": per_year[y]} for y in years if per_year[y]
            ]
        },
    }
    mapping = pd.DataFrame(rows, columns=list(MAPPING_COLUMNS))
    return ETFExport(document, mapping)


def validate_document(doc: Any, meta: ETFMetadata) -> list[str]:
    """Check a country-data document against the structure etf-cli reads and the metadata.

    Checks: the ``country_specific_data`` object and its lists; ``data.values`` a list
    of ``{"inventory_year": int, "values": list}`` with each year once; each value an
    object with a ``variable_uid`` known to the metadata (or declared under
    ``country_specific_data.variables``), not calculated by the tool, at most once a year;
    each ``value`` a finite number or notation keys (``NO``, ``NE``, ``NA``, ``IE``,
    ``C``, several joined by ``,``).

    Returns
    -------
    list of str
        Problems, each naming its JSON path; empty when the document passes.
    """
    problems: list[str] = []
    if not isinstance(doc, dict):
        return ["the document is not a JSON object"]
    csd = doc.get("country_specific_data")
    own: set[str] = set()
    if not isinstance(csd, dict):
        problems.append(".country_specific_data: missing or not an object")
    else:
        for name in ("nodes", "variables"):
            if not isinstance(csd.get(name), list):
                problems.append(f".country_specific_data.{name}: missing or not a list")
        for i, v in enumerate(csd.get("variables") or []):
            if isinstance(v, dict) and isinstance(v.get("uid"), str):
                own.add(v["uid"])
            else:
                problems.append(f".country_specific_data.variables[{i}]: no 'uid' string")
    data = doc.get("data")
    entries = data.get("values") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        return [*problems, ".data.values: missing or not a list"]
    seen_years: set[int] = set()
    for i, entry in enumerate(entries):
        at = f".data.values[{i}]"
        year = entry.get("inventory_year") if isinstance(entry, dict) else None
        if not isinstance(year, int) or isinstance(year, bool):
            problems.append(f"{at}.inventory_year: missing or not an integer")
            continue
        if year in seen_years:
            problems.append(f"{at}.inventory_year: {year} given twice")
        seen_years.add(year)
        values = entry.get("values")
        if not isinstance(values, list):
            problems.append(f"{at}.values: missing or not a list")
            continue
        seen: set[str] = set()
        for j, item in enumerate(values):
            where = f"{at}.values[{j}]"
            uid = item.get("variable_uid") if isinstance(item, dict) else None
            if not isinstance(uid, str):
                problems.append(f"{where}.variable_uid: missing or not a string")
                continue
            var = meta.variables.get(uid)
            if var is None and uid not in own:
                problems.append(f"{where}.variable_uid: {uid} is not in the metadata")
            elif var is not None and var.calculated:
                problems.append(f"{where}: {uid} is calculated by the tool ({var.name})")
            if uid in seen:
                problems.append(f"{where}.variable_uid: {uid} given twice in {year}")
            seen.add(uid)
            value = item.get("value")
            if isinstance(value, bool) or not (
                (isinstance(value, int | float) and math.isfinite(value))
                or (isinstance(value, str) and _notation_ok(value))
            ):
                problems.append(f"{where}.value: {value!r} is neither a number nor notation keys")
    return problems


def read_values(doc: Mapping[str, Any], meta: ETFMetadata) -> dict[tuple[str, str, int], Any]:
    """The values of a country-data document as ``(crt_code, gas, year) -> cell``."""
    out: dict[tuple[str, str, int], Any] = {}
    for entry in doc["data"]["values"]:
        for item in entry["values"]:
            var = meta.variables[item["variable_uid"]]
            code = meta.nodes[var.node_uid][0]
            out[(code, var.gas, int(entry["inventory_year"]))] = decode_value(item["value"])
    return out


def write_export(export: ETFExport, json_path: str | Path, mapping_path: str | Path) -> None:
    """Write the country-data JSON (UTF-8, indented, keys in a fixed order) and the mapping
    table (CSV)."""
    Path(json_path).write_text(
        json.dumps(export.document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    export.mapping.to_csv(mapping_path, index=False)


def export_run(run_dir: str | Path, metadata: str | Path, out_dir: str | Path) -> ETFExport:
    """Write ``crt_etf.json`` and ``crt_etf_mapping.csv`` for a run folder into ``out_dir``
    (beside the run folder, never into it: a signed run folder stays as it was signed).

    Raises
    ------
    ETFError
        ``out_dir`` is the run folder or inside it; the metadata file is bad; the document
        built fails :func:`validate_document` (a bug: nothing is written then).
    """
    run_dir, out_dir = Path(run_dir).resolve(), Path(out_dir).resolve()
    if out_dir == run_dir or out_dir.is_relative_to(run_dir):
        raise ETFError(
            "the ETF file is written beside the run folder, never into it (the run folder "
            "is signed); give another --out",
            file=out_dir,
        )
    meta = read_metadata(metadata)
    ds = read_interchange(run_dir / rf.INTERCHANGE_YAML)
    export = build_export(crt_cells(ds), years(ds), meta, _names())
    problems = validate_document(export.document, meta)
    if problems:
        raise ETFError("the ETF document built fails its check: " + "; ".join(problems[:5]))
    out_dir.mkdir(parents=True, exist_ok=True)
    write_export(export, out_dir / spec.CRT_ETF_JSON, out_dir / spec.CRT_ETF_MAPPING_CSV)
    return export
