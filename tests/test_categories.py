"""Category checks and hierarchy sums."""

from __future__ import annotations

import climate_categories as cc
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openmrv.categories import aggregate, ancestors, check_code, sort_codes
from openmrv.errors import InputError

LEAVES = [k for k in cc.IPCC2006.keys() if not cc.IPCC2006[k].children]


def test_unknown_code_names_it():
    with pytest.raises(InputError, match=r"1\.B\.9"):
        check_code("1.B.9", file="a.csv", row=4)


def test_parent_with_child_is_rejected():
    with pytest.raises(InputError, match="computed"):
        aggregate({"1.A": np.ones(2), "1.A.1": np.ones(2)})


@settings(max_examples=50, deadline=None)
@given(st.dictionaries(st.sampled_from(LEAVES), st.floats(0, 1e6), min_size=1, max_size=25))
def test_total_is_sum_of_leaves(values):
    out = aggregate({k: np.array([v]) for k, v in values.items()})
    assert out["0"][0] == pytest.approx(sum(values.values()))
    # every parent equals the sum of the leaves below it
    for code in out:
        below = [v for k, v in values.items() if code in ancestors(k) or k == code]
        assert out[code][0] == pytest.approx(sum(below))


def test_nan_only_contributions_stay_nan():
    out = aggregate({"1.A.1": np.array([np.nan, 1.0])})
    assert np.isnan(out["1.A"][0]) and out["1.A"][1] == 1.0


def test_sort_order():
    assert sort_codes(["1.A.10", "1.A.2", "1.B.2.b.ii", "1.B.2.b.i", "0"]) == [
        "0",
        "1.A.2",
        "1.A.10",
        "1.B.2.b.i",
        "1.B.2.b.ii",
    ]
