"""Category systems from ``climate_categories``: validation and hierarchical totals.

The IPCC 2006 category tree (``climate_categories.IPCC2006``) decides which
codes exist and how they add up. Totals up the hierarchy are always computed
from their parts (:func:`aggregate`), never typed into input files.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache

import climate_categories as cc
import numpy as np

from openmrv.errors import InputError

#: Category systems openmrv understands, by the name used in case.yaml and datasets.
CATEGORY_SYSTEMS: tuple[str, ...] = ("IPCC2006",)


@cache
def system(name: str) -> cc.HierarchicalCategorization:
    """The ``climate_categories`` categorization called ``name``."""
    if name not in CATEGORY_SYSTEMS:
        raise InputError(
            f"unknown category system '{name}'; choose one of {', '.join(CATEGORY_SYSTEMS)}",
            field="category_system",
        )
    return cc.cats[name]


def check_code(
    code: str,
    system_name: str = "IPCC2006",
    *,
    file: str | None = None,
    row: int | None = None,
    field: str = "category",
) -> str:
    """Return the canonical code of ``code`` or raise an error naming the bad value."""
    cats = system(system_name)
    text = str(code).strip()
    if text in cats:
        return str(cats[text].codes[0])
    close = sorted(k for k in cats.keys() if k.startswith(text.rsplit(".", 1)[0]))[:8]
    hint = f" (codes nearby: {', '.join(close)})" if close else ""
    raise InputError(
        f"unknown {system_name} category '{text}'{hint}; use a code of the IPCC 2006 "
        "Guidelines as listed by climate_categories",
        file=file,
        row=row,
        field=field,
    )


def title(code: str, system_name: str = "IPCC2006") -> str:
    """Human-readable title of a category."""
    return str(system(system_name)[code].title)


def ancestors(code: str, system_name: str = "IPCC2006") -> list[str]:
    """All categories above ``code``, nearest first, up to the national total ``0``."""
    cats = system(system_name)
    out: list[str] = []
    todo = [cats[code]]
    while todo:
        cat = todo.pop()
        for parent_set in cat.parents:
            for parent in parent_set if isinstance(parent_set, set | frozenset) else [parent_set]:
                p = str(parent.codes[0])
                if p not in out:
                    out.append(p)
                    todo.append(parent)
    return out


def level(code: str) -> int:
    """Depth of a code in the IPCC tree (``0`` and ``1`` are level 0 and 1)."""
    return 0 if code == "0" else code.count(".") + 1


def aggregate(
    values: Mapping[str, np.ndarray], system_name: str = "IPCC2006"
) -> dict[str, np.ndarray]:
    """Add reported categories up the hierarchy.

    Parameters
    ----------
    values
        Arrays (all the same shape) by reported category code. NaN means "no
        number" (a notation key) and does not contribute.

    Returns
    -------
    dict
        The reported categories plus every ancestor up to ``0`` (national total),
        each the sum of the reported categories below it.

    Raises
    ------
    InputError
        If a reported category lies below another reported category (the parent
        would be counted twice).
    """
    codes = list(values)
    for code in codes:
        for anc in ancestors(code, system_name):
            if anc in values:
                raise InputError(
                    f"category {anc} is reported together with its sub-category {code}; "
                    "report only the most detailed categories, totals are computed",
                    field="category",
                )
    out: dict[str, np.ndarray] = {k: np.asarray(v, dtype=float) for k, v in values.items()}
    sums: dict[str, np.ndarray] = {}
    counts: dict[str, np.ndarray] = {}
    for code in codes:
        arr = np.asarray(values[code], dtype=float)
        for anc in ancestors(code, system_name):
            sums[anc] = sums.get(anc, 0.0) + np.nan_to_num(arr)
            counts[anc] = counts.get(anc, 0) + ~np.isnan(arr)
    for anc, total in sums.items():
        out[anc] = np.where(counts[anc] > 0, total, np.nan)
    return out


def sort_codes(codes: Iterable[str]) -> list[str]:
    """Sort codes in the Guidelines' order (1, 1.A, 1.A.1, ..., 1.A.10, ...)."""

    def key(code: str) -> tuple:
        parts = []
        for p in code.split("."):
            roman = {
                "i": 1,
                "ii": 2,
                "iii": 3,
                "iv": 4,
                "v": 5,
                "vi": 6,
                "vii": 7,
                "viii": 8,
                "ix": 9,
                "x": 10,
            }
            if p.isdigit():
                parts.append((0, int(p), ""))
            elif p in roman:
                parts.append((1, roman[p], ""))
            else:
                parts.append((2, 0, p))
        return tuple(parts)

    return sorted(codes, key=key)
