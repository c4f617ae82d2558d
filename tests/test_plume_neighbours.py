"""Neighbouring sources: the mask split (by hand) and the ``neighbours`` budget term on a
synthetic scene of two plumes (truth kept beside it)."""

from __future__ import annotations

import numpy as np
import pytest

from openmrv.errors import InputError
from openmrv.estimate.plumes import detect_plume, ime_rate, split_mask
from openmrv.estimate.plumes.parameters import parameter
from openmrv.estimate.plumes.quantify import with_neighbour_term
from openmrv.estimate.plumes.synthetic import gaussian_plume_scene

AREA = 7000.0 * 5500.0


def test_split_mask_by_hand():
    # pixels 1 km apart on a line x = 5 km downwind (wind towards +x), y = -2 ... 12 km;
    # own source at (0, 0), a neighbour at (0, 10 km)
    y = np.arange(-2.0, 13.0)[:, None] * 1000.0
    x = np.full_like(y, 5000.0)
    mask = np.ones(y.shape, bool)
    own, given = split_mask(mask, x, y, (0.0, 0.0), [(0.0, 10000.0)], (3.0, 0.0), 1000.0)
    # along = 5 km for both sources: the same half-width, so the nearer crosswind wins;
    # the tie at y = 5 km goes to the own source (argmin takes the first)
    assert own[:, 0].tolist() == [True] * 8 + [False] * 7  # y <= 5 km own
    assert given == 7
    # a pixel upwind of the neighbour by more than a pixel (x = -5 km): not the neighbour's
    own2, given2 = split_mask(
        np.ones((1, 1), bool),
        np.array([[-5000.0]]),
        np.array([[10000.0]]),
        (-9000.0, 0.0),
        [(0.0, 10000.0)],
        (3.0, 0.0),
        1000.0,
    )
    assert own2.all() and given2 == 0
    # the half-width grows with distance: tan_spread from the table
    tan = parameter("plume_spread_tan")
    a = 20000.0  # own source 20 km upwind, neighbour 2 km upwind; pixel 3 km across
    px, py = np.array([[0.0]]), np.array([[3000.0]])
    own3, _ = split_mask(np.ones((1, 1), bool), px, py, (-a, 0.0), [(-2000.0, 0.0)], (1, 0), 500.0)
    # scores: own 3000 / (500 + tan 20000) = 0.51; neighbour 3000 / (500 + tan 2000) = 2.9
    assert 3000 / (500 + tan * a) < 3000 / (500 + tan * 2000) and own3.all()
    with pytest.raises(InputError, match="zero wind"):
        split_mask(mask, x, y, (0.0, 0.0), [(0.0, 1.0)], (0.0, 0.0), 1000.0)
    same, none = split_mask(mask, x, y, (0.0, 0.0), [], (3.0, 0.0), 1000.0)
    assert same.all() and none == 0


def test_neighbour_term_covers_a_shared_mask():
    q, u = 15.0, 3.0
    d1, xm, ym = gaussian_plume_scene(q, u, 0.0, source_rc=(14.0, 5.0))
    d2, _, _ = gaussian_plume_scene(q, u, 0.0, source_rc=(16.0, 5.0))  # 2 rows = 14 km north
    rng = np.random.default_rng(5)
    s = 1900 + d1 + d2 + rng.normal(0, 4.0, d1.shape)
    det = detect_plume(s, 4.0, source=(14, 5))
    assert det.detected
    whole = ime_rate(s, det, AREA, u, rel_wind_error=0.0, scenes="synthetic")
    own_mask, given = split_mask(det.mask, xm, ym, (0.0, 0.0), [(0.0, 14000.0)], (u, 0.0), 6200.0)
    assert given > 0 and own_mask.sum() < det.mask.sum()
    det.mask = own_mask
    own = ime_rate(s, det, AREA, u, rel_wind_error=0.0, scenes="synthetic")
    both = with_neighbour_term(whole, own)
    # the whole mask holds both plumes: its rate is far above the truth, beyond its own 1-sigma
    assert whole.rate > 1.4 * q and abs(whole.rate - q) > whole.sigma
    assert both.rate == whole.rate
    assert both.budget["neighbours"] == pytest.approx(abs(whole.rate - own.rate))
    assert both.sigma == pytest.approx(np.hypot(whole.sigma, both.budget["neighbours"]))
    assert abs(both.rate - q) <= 2 * both.sigma
    assert any("neighbours" in f for f in both.flags)
