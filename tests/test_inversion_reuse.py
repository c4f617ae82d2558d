"""Steady states solved again inside one inversion are reused, bit for bit, and only
there (issue 19: the second pass of the national inversion re-solved the first's
systems); the minimum-degree ordering still solves L M = −S."""

from __future__ import annotations

import numpy as np
import pytest

from openmrv.estimate.inversion import reuse
from openmrv.estimate.inversion import transport as tr


def _grid():
    return tr.Grid.from_bounds(55.0, 37.0, 58.0, 39.0, 0.25)


def _system(seed=0):
    g = _grid()
    rng = np.random.default_rng(seed)
    u = 4.0 + rng.normal(0.0, 1.0, g.shape)
    v = -2.0 + rng.normal(0.0, 1.0, g.shape)
    mat = tr.operator(g, u, v, 1e4, 4 * 86400.0)
    src = np.abs(rng.normal(size=(g.size, 3)))
    return g, mat, src


@pytest.fixture
def count_lu(monkeypatch):
    calls = []
    real = tr._lu

    def counted(mat):
        calls.append(1)
        return real(mat)

    monkeypatch.setattr(tr, "_lu", counted)
    return calls


def test_the_steady_state_solves_the_system():
    """Residual of L M = −S against the sources (independent of the ordering chosen)."""
    _, mat, src = _system()
    m = tr.steady_state(mat, src)
    res = mat @ m + src
    assert np.max(np.abs(res)) <= 1e-10 * np.max(np.abs(src))


def test_a_repeated_system_is_reused_bit_for_bit(count_lu):
    _, mat, src = _system()
    fresh = tr.steady_state(mat, src)
    cells = np.array([3, 40, 77])
    fresh_rows = tr.steady_state(mat, src, cells)
    count_lu.clear()
    with reuse.reusing_steady_states() as store:
        a = tr.steady_state(mat, src)
        b = tr.steady_state(mat.copy(), src.copy())  # equal values, other objects
        rows = tr.steady_state(mat, src, cells)
        rows_again = tr.steady_state(mat, src, cells)
        assert len(store) == 2
    assert len(count_lu) == 2  # one factorisation for all, one for the rows
    assert np.array_equal(a, fresh) and np.array_equal(b, fresh)
    assert np.array_equal(rows, fresh_rows) and np.array_equal(rows_again, fresh_rows)
    b[0, 0] = -1.0  # a caller's copy: changing it leaves the store alone
    with reuse.reusing_steady_states():
        assert np.array_equal(tr.steady_state(mat, src), fresh)


def test_another_operator_or_source_is_solved_anew(count_lu):
    _, mat, src = _system()
    _, mat2, _ = _system(seed=1)
    tweaked = mat.copy()
    tweaked.data[5] *= 1.0 + 1e-12  # one coefficient in its last digits
    with reuse.reusing_steady_states():
        base = tr.steady_state(mat, src)
        other = tr.steady_state(mat2, src)
        near = tr.steady_state(tweaked, src)
        src2 = src.copy()
        src2[7, 1] += 1.0
        moved = tr.steady_state(mat, src2)
    assert len(count_lu) == 4
    assert not np.array_equal(base, other)
    assert not np.array_equal(base[:, 1], moved[:, 1])
    np.testing.assert_allclose(near, base, rtol=1e-9)


def test_nothing_is_kept_outside_the_block(count_lu):
    _, mat, src = _system()
    with reuse.reusing_steady_states():
        tr.steady_state(mat, src)
    assert not reuse.active()
    tr.steady_state(mat, src)
    tr.steady_state(mat, src)
    assert len(count_lu) == 3
