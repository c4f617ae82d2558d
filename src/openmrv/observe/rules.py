"""Quality rules evaluated on soundings: one condition, or a product's rules on a reader's
arrays, with a count of what each rule dropped.

The lowest layer of the quality screening: it knows conditions and rules
(:mod:`openmrv.observe.products`), not the reader registry, so the readers screen
with it while they read and :mod:`openmrv.observe.qa` builds on it.
"""

from __future__ import annotations

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
            file=source_names(ds),
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


def source_names(ds: xr.Dataset) -> str | None:
    if "source_file" in ds and ds.sizes["sounding"]:
        names = sorted(set(ds["source_file"].values))
        return ", ".join(names[:3]) + (" ..." if len(names) > 3 else "")
    return None


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
