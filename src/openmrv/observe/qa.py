"""Quality screening of soundings by each product's own rules, with a count of what was dropped.

The rules are data (:class:`~openmrv.observe.products.QARule`, each with its source)
in the product specs; :func:`apply_qa` applies them in order and reports, for each
rule's reason, how many soundings it dropped (a sounding is counted once, under
the first rule it fails).
"""

from __future__ import annotations

import json
import operator
from collections.abc import Mapping

import numpy as np
import xarray as xr

from openmrv.errors import ObservationError
from openmrv.observe.products import Condition, QARule
from openmrv.observe.soundings import missing_variables

_OPS = {
    "==": operator.eq,
    "!=": operator.ne,
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
}
NO_RETRIEVAL = "no retrieval (fill value or no position)"


def evaluate(cond: Condition, ds: xr.Dataset) -> np.ndarray:
    """Evaluate a condition on a soundings dataset; NaN compares False.

    Raises
    ------
    openmrv.errors.ObservationError
        If the variable is absent or was not in the file.
    """
    if cond.variable not in ds or cond.variable in missing_variables(ds):
        raise ObservationError(
            f"the quality rule needs '{cond.variable}', which the file does not hold; "
            "read with qa=False to keep these soundings unscreened",
            file=_files(ds),
            field=cond.variable,
        )
    return compare(cond, ds[cond.variable].values)


def compare(cond: Condition, values: np.ndarray) -> np.ndarray:
    """A condition on one variable's values (NaN compares False)."""
    if cond.mask is not None:
        finite = np.isfinite(values.astype(float))
        masked = np.where(finite, np.nan_to_num(values.astype(float)), 0).astype(np.int64)
        return finite & _OPS[cond.op](masked & cond.mask, cond.value)
    with np.errstate(invalid="ignore"):
        return np.asarray(_OPS[cond.op](values, cond.value))


def _files(ds: xr.Dataset) -> str | None:
    if "source_file" in ds and ds.sizes["sounding"]:
        names = sorted(set(ds["source_file"].values))
        return ", ".join(names[:3]) + (" ..." if len(names) > 3 else "")
    return None


def apply_qa(
    ds: xr.Dataset, rules: tuple[QARule, ...] | None = None
) -> tuple[xr.Dataset, dict[str, int]]:
    """Keep the soundings that pass the product's quality rules.

    Parameters
    ----------
    ds
        Soundings of one product (as returned by ``read_soundings``).
    rules
        The rules; by default the product's own (its spec's ``qa``).

    Returns
    -------
    kept, dropped
        The kept soundings and, per reason, the number dropped. Soundings the
        reader could not use (attribute ``soundings_without_retrieval``) are counted
        under ``"no retrieval (fill value or no position)"``.
    """
    if rules is None:
        from openmrv.observe.registry import readers

        products = set(ds["product"].values)
        if len(products) > 1:
            raise ObservationError(f"apply_qa takes one product at a time, got {sorted(products)}")
        known = readers()
        rules = known[products.pop()].spec.qa if products else ()
    dropped: dict[str, int] = {}
    fill = int(ds.attrs.get("soundings_without_retrieval", 0))
    if fill:
        dropped[NO_RETRIEVAL] = fill
    if ds.attrs.get("qa_applied"):  # screened by the reader in its one filtering pass
        return ds, merge_counts(dropped, json.loads(ds.attrs.get("qa_dropped", "{}")))
    keep = np.ones(ds.sizes["sounding"], dtype=bool)
    for rule in rules:
        ok = evaluate(rule.keep, ds)
        if rule.applies_if is not None:
            ok |= ~evaluate(rule.applies_if, ds)
        newly = keep & ~ok
        dropped[rule.reason] = dropped.get(rule.reason, 0) + int(newly.sum())
        keep &= ok
    if keep.all():
        return ds, dropped
    return ds.isel(sounding=np.flatnonzero(keep)), dropped


def screen(
    data: Mapping[str, np.ndarray],
    rules: tuple[QARule, ...],
    missing: list[str],
    n: int,
    file: object = None,
) -> tuple[np.ndarray, dict[str, int]]:
    """The rules on a reader's arrays (``n`` soundings) before the dataset is built:
    (keep mask, dropped per reason), counted as :func:`apply_qa` counts them (under the
    first rule failed)."""
    keep = np.ones(n, dtype=bool)
    dropped: dict[str, int] = {}

    def values(cond: Condition) -> np.ndarray:
        if cond.variable not in data or cond.variable in missing:
            raise ObservationError(
                f"the quality rule needs '{cond.variable}', which the file does not hold; "
                "read with qa=False to keep these soundings unscreened",
                file=file,
                field=cond.variable,
            )
        return compare(cond, np.asarray(data[cond.variable]))

    for rule in rules:
        ok = values(rule.keep)
        if rule.applies_if is not None:
            ok |= ~values(rule.applies_if)
        newly = keep & ~ok
        dropped[rule.reason] = dropped.get(rule.reason, 0) + int(newly.sum())
        keep &= ok
    return keep, dropped


def merge_counts(*counts: Mapping[str, int]) -> dict[str, int]:
    """Add dropped-count dictionaries reason by reason."""
    out: dict[str, int] = {}
    for c in counts:
        for k, v in c.items():
            out[k] = out.get(k, 0) + int(v)
    return out
