"""Quality screening of soundings by each product's own rules, with a count of what was dropped.

The rules are data (:class:`~openmrv.observe.products.QARule`, each with its source)
in the product specs; :func:`apply_qa` applies them in order and reports, for each
rule's reason, how many soundings it dropped (a sounding is counted once, under
the first rule it fails). The evaluation itself lives in :mod:`openmrv.observe.rules`,
below the reader registry (the readers screen with it as they read).
"""

from __future__ import annotations

import json

import numpy as np
import xarray as xr

from openmrv.errors import ObservationError
from openmrv.observe.products import QARule
from openmrv.observe.registry import readers
from openmrv.observe.rules import NO_RETRIEVAL, compare, evaluate, merge_counts, screen

__all__ = ["NO_RETRIEVAL", "apply_qa", "compare", "evaluate", "merge_counts", "screen"]


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
