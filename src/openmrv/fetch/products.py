"""The product table: every archive openmrv downloads from, as data (``data/products.csv``).

Each row names one product: what it holds, the archive, the client that archive supports
(``http``, ``s3-anonymous``, ``stac``, ``earthaccess``, ``cdsapi``, or ``manual`` where an
account and a human step are needed), the endpoint, the search parameters (``request``,
JSON), the URL template and file-name pattern, the temporal coverage, the licence, the
citation, and whether an account is needed and where its credentials live. The sources
of each row are in ``data/SOURCES.md``.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import pandas as pd

from openmrv.errors import InputError

CLIENTS = ("http", "s3-anonymous", "stac", "earthaccess", "cdsapi", "manual")
GRANULARITIES = ("day", "month", "year", "once", "query")
COLUMNS = (
    "id",
    "what",
    "archive",
    "client",
    "endpoint",
    "collection",
    "version",
    "url_template",
    "file_pattern",
    "granularity",
    "coverage_start",
    "coverage_end",
    "request",
    "account",
    "credentials",
    "install",
    "licence",
    "citation",
    "api_doc",
    "default",
    "used_by",
    "notes",
)


@dataclass(frozen=True)
class Product:
    """One row of the product table (see the module notes for the columns)."""

    id: str
    what: str
    archive: str
    client: str
    endpoint: str
    collection: str
    version: str
    url_template: str
    file_pattern: str
    granularity: str
    coverage_start: pd.Timestamp | None
    coverage_end: pd.Timestamp | None
    request: dict = field(hash=False)
    account: str
    credentials: str
    install: str
    licence: str
    citation: str
    api_doc: str
    default: bool
    used_by: str
    notes: str

    @property
    def needs_account(self) -> bool:
        """Whether a download needs an account (the catalogue may still be open)."""
        return not self.account.lower().startswith("none")


def table_path() -> Path:
    """The packaged product table."""
    return Path(str(resources.files("openmrv.fetch") / "data" / "products.csv"))


def _timestamp(text: str, file: Path, row: int, name: str) -> pd.Timestamp | None:
    if not text:
        return None
    try:
        return pd.Timestamp(text)
    except ValueError:
        raise InputError(
            f"'{text}' is not a date (YYYY-MM-DD)", file=file, row=row, field=name
        ) from None


def load_products(path: str | Path | None = None) -> dict[str, Product]:
    """Read the product table.

    Parameters
    ----------
    path
        A product table with :data:`COLUMNS`; default the packaged one.

    Returns
    -------
    dict
        Products by id, in table order.

    Raises
    ------
    InputError
        For a missing column, an unknown client or granularity, a duplicate id, a bad
        date or a ``request`` cell that is not a JSON object, naming the row and field.
    """
    file = Path(path) if path is not None else table_path()
    with file.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise InputError(f"columns missing: {', '.join(missing)}", file=file)
        rows = list(reader)
    out: dict[str, Product] = {}
    for i, r in enumerate(rows, start=2):
        if r["client"] not in CLIENTS:
            raise InputError(
                f"unknown client '{r['client']}'; expected one of {', '.join(CLIENTS)}",
                file=file,
                row=i,
                field="client",
            )
        if r["granularity"] not in GRANULARITIES:
            raise InputError(
                f"unknown granularity '{r['granularity']}'; expected one of "
                f"{', '.join(GRANULARITIES)}",
                file=file,
                row=i,
                field="granularity",
            )
        if r["id"] in out:
            raise InputError(f"duplicate product id '{r['id']}'", file=file, row=i, field="id")
        try:
            request = json.loads(r["request"] or "{}")
        except json.JSONDecodeError as exc:
            raise InputError(
                f"not valid JSON ({exc.msg})", file=file, row=i, field="request"
            ) from None
        if not isinstance(request, dict):
            raise InputError("expected a JSON object {...}", file=file, row=i, field="request")
        values = {c: r[c] for c in COLUMNS}
        values.update(
            request=request,
            default=r["default"].strip().lower() == "yes",
            coverage_start=_timestamp(r["coverage_start"], file, i, "coverage_start"),
            coverage_end=_timestamp(r["coverage_end"], file, i, "coverage_end"),
        )
        out[r["id"]] = Product(**values)
    return out


def select(products: dict[str, Product], ids: list[str] | None) -> list[Product]:
    """The products named by ``ids`` (default: those marked ``default`` in the table).

    Raises
    ------
    InputError
        For an id the table does not hold, listing the ids it does.
    """
    if not ids:
        return [p for p in products.values() if p.default]
    unknown = [i for i in ids if i not in products]
    if unknown:
        raise InputError(
            f"unknown product(s) {', '.join(unknown)}; the product table holds: "
            f"{', '.join(products)}",
            field="--products",
        )
    return [products[i] for i in ids]
