"""State vectors: sector priors in space, hotspots, k-means clusters, regions, G."""

import numpy as np
import pandas as pd
import pytest

from openmrv.errors import InputError
from openmrv.estimate.inversion import NormalEquations, solve
from openmrv.estimate.inversion.statevector import build_state_vector, sector_fields
from openmrv.estimate.inversion.transport import Grid


def setup():
    g = Grid.from_bounds(52.0, 35.0, 60.0, 41.0, 0.25)
    la, lo = np.meshgrid(g.lat, g.lon, indexing="ij")
    land = (la > 36) & (la < 40) & (lo > 53) & (lo < 59)
    fac = pd.DataFrame(
        {
            "lat": [37.1, 37.1, 38.6, 39.2, 50.0],
            "lon": [54.1, 54.1, 57.3, 55.5, 55.0],
            "category": ["1.B.2.b.iii.2", "1.B.2.a", "1.B.2.b", "1.B.1", "1.B.2"],
            "weight": [2.0, 1.0, 1.0, np.nan, 3.0],
        }
    )
    totals = {"1.B": 4.0, "1.B.2": 30.0, "3.A": 10.0}
    return g, land, fac, totals


def test_sector_fields_place_totals_by_register_and_proxy():
    g, land, fac, totals = setup()
    f, placed = sector_fields(g, totals, fac, land)
    np.testing.assert_allclose(f.sum((1, 2)), [4.0, 30.0, 10.0])
    p = placed.set_index("sector")
    assert p.loc["1.B.2", "facilities"] == 3 and p.loc["1.B.2", "facilities_off_grid"] == 1
    assert p.loc["1.B", "facilities"] == 1  # 1.B.1 belongs to 1.B, 1.B.2.* to 1.B.2
    assert p.loc["3.A", "method"] == "uniform over country land"
    c = g.locate([37.1, 38.6], [54.1, 57.3])
    # weights 2 + 1 at the same cell, 1 at the other: 3/4 and 1/4 of 30
    np.testing.assert_allclose(f[1].ravel()[c], [22.5, 7.5])
    dens = f[2][land] / g.area()[land]
    np.testing.assert_allclose(dens, dens[0], rtol=1e-12)
    assert f[2][~land].sum() == 0
    with pytest.raises(InputError, match="no land"):
        sector_fields(g, {"3.A": 1.0}, fac.iloc[:0], np.zeros(g.shape, bool))


def test_clusters_keep_hotspots_and_map_back_to_sectors():
    g, land, fac, totals = setup()
    f, _ = sector_fields(g, totals, fac, land)
    sv = build_state_vector(g, f, list(totals), n_clusters=20, hotspot_fraction=0.01)
    hot = [k for k in sv.kinds if k == "hotspot"]
    assert len(hot) == 3  # the three facility cells hold >= 1 % of 44 kg/s
    assert sv.n == len(hot) + 20 + 4
    assert sv.kinds[-4:] == ["boundary"] * 4
    np.testing.assert_allclose(sv.x_a[: sv.n_emission].sum(), 44.0)
    pat = sv.patterns()
    np.testing.assert_allclose(pat.sum(0), 1.0)
    np.testing.assert_allclose((pat @ sv.x_a[: sv.n_emission]).reshape(g.shape), f.sum(0))
    np.testing.assert_allclose(sv.sector_matrix() @ sv.x_a, [4.0, 30.0, 10.0])
    again = build_state_vector(g, f, list(totals), n_clusters=20)
    assert (again.labels == sv.labels).all()  # seeded
    cells = build_state_vector(g, f, list(totals), mode="grid", boundary=False)
    assert cells.n == int((f.sum(0) > 0).sum())


def test_posterior_sector_totals_with_full_covariance():
    g, land, fac, totals = setup()
    f, _ = sector_fields(g, totals, fac, land)
    sv = build_state_vector(g, f, list(totals), n_clusters=10, boundary=False)
    n = sv.n
    rng = np.random.default_rng(3)
    truth = sv.x_a * rng.uniform(0.5, 1.5, n)
    k = rng.normal(0, 1, (4 * n, n))
    y = k @ truth
    ne = NormalEquations(k.T @ k / 1e-6, k.T @ (y - k @ sv.x_a) / 1e-6, 0.0, 4 * n)
    post = solve(ne, sv.x_a, (0.5 * sv.x_a) ** 2)
    gm = sv.sector_matrix()
    np.testing.assert_allclose(gm @ post.x_hat, gm @ truth, rtol=1e-6)
    cov = gm @ post.s_hat @ gm.T
    for s in range(len(totals)):
        assert np.sqrt(cov[s, s]) == pytest.approx(post.total(gm[s])[3], rel=1e-10)


def test_regions_and_bad_mode():
    g, land, fac, totals = setup()
    f, _ = sector_fields(g, totals, fac, land)
    rl = np.where(np.arange(g.lon.size)[None, :] < g.lon.size // 2, 0, 1) * np.ones(g.shape, int)
    sv = build_state_vector(
        g, f, list(totals), mode="regions", region_labels=rl, region_names=["west", "east"]
    )
    assert sv.names[:2] == ["west", "east"]
    west = f.sum(0)[:, : g.lon.size // 2].sum()
    assert sv.x_a[0] == pytest.approx(west)
    with pytest.raises(InputError, match="unknown; use one of clusters"):
        build_state_vector(g, f, list(totals), mode="kmeans")
