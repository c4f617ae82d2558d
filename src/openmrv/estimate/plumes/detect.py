"""Plume detection on a 2-D scene of column mole fractions (ppb or any unit).

Steps, each a small function:

1. Background: the median of the valid pixels after masking the strongest enhancement
   (pixels more than ``clip`` robust standard deviations above a first median), and its
   spread, 1.4826 x the median absolute deviation of the same pixels (the MAD of a normal
   distribution is 0.6745 sigma).
2. Significance: a per-pixel z-score ``(x - background) / sigma_i`` where sigma_i combines
   the pixel's retrieval noise with the scene's excess scatter (the part of the robust
   spread that the median retrieval noise does not explain), so that z is N(0, 1) on a
   plume-free scene whether the noise is white retrieval noise or background structure.
   The z-scores are taken against a plane fitted to the background pixels (a gradient
   across the scene is not a plume), averaged over 3 x 3 neighbours (renormalised by the
   square root of the count of valid neighbours, so the average is N(0, 1) for white
   noise) and then divided by the average's own robust spread over the scene
   (:func:`smoothed_spread`, at least 1): real retrieval noise is spatially correlated,
   which made the white-noise normalisation understate the spread about twofold and the
   mask percolate to the scene's edge (issue 18).
3. Detection: a scene holds a plume when some pixel's smoothed z exceeds
   ``z_seed = Phi^-1(1 - alpha / N)`` (Bonferroni over the N valid pixels: on pure white
   noise the chance of any false detection in the scene is at most ``alpha``); with a
   known source, over the N pixels within ``max_source_distance`` of it only. The plume
   mask is the 8-connected cluster of pixels with smoothed z above ``z_mask`` that holds a
   seed; of several, the one holding (or nearest to) the given source pixel, otherwise
   the one with the largest summed z.
4. Background structure (for the rates' budgets): one median stands for the background
   under the whole plume, but real backgrounds have structure (gradients, bands along the
   plume's path). Three estimates of the background under the mask — the scene median, a
   plane fitted to the background pixels away from the mask and evaluated over it, and the
   median of a ring of background pixels around the mask (``background_ring_pixels`` in
   ``data/parameters.csv``) — are compared; their spread beyond what white noise would give
   is ``background_structure``, and ``background_error`` = sqrt(s.e.² + structure²) is the
   background's 1-sigma error the budgets use.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage
from scipy.stats import norm

from openmrv.errors import InputError
from openmrv.estimate.plumes.parameters import parameter

MAD_TO_SIGMA = 1.4826  # 1 / Phi^-1(0.75), the MAD of a normal distribution in sigmas


@dataclass
class Detection:
    """The result of :func:`detect_plume` (all arrays have the scene's shape)."""

    detected: bool
    mask: np.ndarray  # bool, the plume pixels
    background: float  # same unit as the scene
    background_sigma: float  # robust spread of the background pixels
    background_se: float  # standard error of the background estimate
    n_background: int
    z: np.ndarray  # per-pixel z-score (NaN where invalid)
    z_smooth: np.ndarray
    sigma: np.ndarray  # per-pixel total noise used for z
    z_seed: float
    z_mask: float
    alpha: float
    source: tuple[int, int] | None  # (row, col)
    flags: list[str] = field(default_factory=list)
    background_structure: float = 0.0  # spread of background estimates under the mask
    #: every significant cluster: {"pixels", "peak" (row, col), "peak_z", "quantified"}
    clusters: list[dict] = field(default_factory=list)
    #: the background under each pixel the rates take enhancements against (scene unit):
    #: None for the scene's median ``background`` everywhere
    background_field: np.ndarray | None = None

    def background_at(self, sel: np.ndarray) -> np.ndarray | float:
        """The background [scene unit] the rates subtract at the pixels ``sel``."""
        if self.background_field is None:
            return self.background
        return self.background_field[sel]

    @property
    def background_error(self) -> float:
        """1-sigma error of the background under the plume: the median's standard error
        and the background's structure, in quadrature."""
        return float(np.hypot(self.background_se, self.background_structure))


def robust_background(values: np.ndarray, clip: float = 2.0) -> tuple[float, float, np.ndarray]:
    """Median and MAD-based spread of the valid values after masking the strongest enhancement.

    Returns (background, sigma, used) where ``used`` marks the pixels kept.
    """
    v = np.asarray(values, float)
    valid = np.isfinite(v)
    if valid.sum() < 10:
        raise InputError(
            f"only {int(valid.sum())} valid pixels in the scene; at least 10 are needed "
            "to estimate a background",
            field="xch4",
        )
    med = np.median(v[valid])
    sig = MAD_TO_SIGMA * np.median(np.abs(v[valid] - med))
    used = valid & (v <= med + clip * sig) if sig > 0 else valid
    med = np.median(v[used])
    sig = MAD_TO_SIGMA * np.median(np.abs(v[used] - med))
    # the clip truncates the upper tail; correct the MAD of a normal cut at +clip sigma
    # roughly: the loss is < 2 % for clip >= 2, so it is left as is and stated
    return float(med), float(sig), used


def background_structure(
    scene: np.ndarray,
    mask: np.ndarray,
    used: np.ndarray,
    background: float,
    spread: float,
    ring: int,
) -> float:
    """The structure of the background under ``mask``, as a 1-sigma [scene unit].

    Three estimates of the background under the mask: the scene's ``background`` (a
    median of the ``used`` pixels), the mean over the mask of a plane fitted by least
    squares to the ``used`` pixels outside the mask widened by one pixel, and the median
    of those pixels within ``ring`` pixels of the mask (each left out with fewer than 10
    pixels). Their sample variance less the variance their own noise would give
    (``spread``² over each estimate's pixel count, times pi/2 for a median: the excess
    over white noise, floored at 0) is the structure's variance. 0 with fewer than two
    estimates."""
    away = used & ~ndimage.binary_dilation(mask) & np.isfinite(scene)
    est, var = [float(background)], [np.pi / 2 * spread**2 / max(int(used.sum()), 1)]
    rr, cc = np.indices(scene.shape)
    if away.sum() >= 10:
        g = np.column_stack([np.ones(int(away.sum())), rr[away], cc[away]])
        coef = np.linalg.lstsq(g, scene[away], rcond=None)[0]
        est.append(float(np.mean(coef[0] + coef[1] * rr[mask] + coef[2] * cc[mask])))
        var.append(spread**2 / int(away.sum()))
    near = away & ndimage.binary_dilation(mask, iterations=ring)
    if near.sum() >= 10:
        est.append(float(np.median(scene[near])))
        var.append(np.pi / 2 * spread**2 / int(near.sum()))
    if len(est) < 2:
        return 0.0
    return float(np.sqrt(max(np.var(est, ddof=1) - np.mean(var), 0.0)))


def smoothed_spread(zs: np.ndarray, clip: float = 2.0) -> float:
    """The robust spread of the 3 x 3-averaged z-scores ``zs`` over the scene's background,
    at least 1.

    The average of 9 z-scores renormalised by sqrt(9) is N(0, 1) only if the z-scores are
    independent (white noise). On real scenes neighbouring pixels are correlated (retrieval
    artefacts of albedo, aerosol and terrain span several pixels; lag-1 correlation 0.2-0.9,
    median 0.55 on the 52 TROPOMI patches), so the average's spread is up to about 3 (median
    2.0): thresholds meant in sigmas of a white field then sit at a fraction of a sigma, and
    the region grown from a seed percolates through the background to the scene's edge.
    Dividing ``zs`` by this spread (1.4826 x MAD after clipping the strongest enhancement,
    as :func:`robust_background`) gives thresholds their stated meaning on every scene; the
    floor of 1 keeps white-noise scenes (where a smaller value is only sampling noise) as
    they were.
    """
    v = zs[np.isfinite(zs)]
    if v.size < 10:
        return 1.0
    _, sig, _ = robust_background(v, clip)
    return float(max(sig, 1.0))


def background_plane(scene: np.ndarray, used: np.ndarray) -> np.ndarray:
    """A plane fitted by least squares to the ``used`` background pixels of ``scene``
    (rows x cols), evaluated at every pixel [scene unit]."""
    rr, cc = np.indices(scene.shape)
    g = np.column_stack([np.ones(int(used.sum())), rr[used], cc[used]])
    coef = np.linalg.lstsq(g, scene[used], rcond=None)[0]
    return coef[0] + coef[1] * rr + coef[2] * cc


def _nearest_label(labels: np.ndarray, candidates: list[int], src: tuple[int, int]) -> int:
    rr, cc = np.indices(labels.shape)
    best, dist = candidates[0], np.inf
    for lab in candidates:
        sel = labels == lab
        d = np.min((rr[sel] - src[0]) ** 2 + (cc[sel] - src[1]) ** 2)
        if d < dist:
            best, dist = lab, d
    return best


def _pixel_mask(
    z: np.ndarray,
    z_mask: float,
    seed_mask: np.ndarray,
    zs: np.ndarray,
    source: tuple[int, int] | None,
    max_distance: float,
) -> np.ndarray:
    """The 8-connected cluster of pixels whose own z exceeds ``z_mask`` that holds the
    ``source`` pixel (or lies nearest to it, within ``max_distance`` pixels), else the one
    holding the seed cluster's peak of the smoothed z ``zs``; the seed cluster itself if
    neither exists (the plume is significant but no single pixel passes)."""
    labels, _ = ndimage.label(np.nan_to_num(z, nan=-np.inf) > z_mask, structure=np.ones((3, 3)))
    if source is None:
        i = int(np.nanargmax(np.where(seed_mask, zs, -np.inf)))
        src = (i // z.shape[1], i % z.shape[1])
    else:
        src = (int(source[0]), int(source[1]))
    rr, cc = np.indices(z.shape)
    near = (rr - src[0]) ** 2 + (cc - src[1]) ** 2 <= max_distance**2
    cands = [int(k) for k in np.unique(labels[near]) if k > 0]
    if not cands:
        return seed_mask
    return labels == _nearest_label(labels, cands, src)


def detect_plume(
    scene: np.ndarray,
    noise: np.ndarray | float | None = None,
    source: tuple[int, int] | None = None,
    alpha: float = 0.01,
    z_mask: float = 1.5,
    clip: float = 2.0,
    max_source_distance: float = 3.0,
    detrend: bool = True,
    standardise: bool = True,
    local_test: bool = True,
    mask_on: str = "smoothed",
    rate_background: str = "median",
) -> Detection:
    """Detect a plume on ``scene`` (rows x cols; NaN where no valid retrieval).

    Parameters
    ----------
    scene
        Column mole fractions (e.g. XCH4 [ppb]).
    noise
        Retrieval noise (1-sigma, same unit), per pixel or one value; None: the scene's
        robust spread alone.
    source
        (row, col) of the suspected source, if known; the plume mask is the cluster
        holding it or the nearest cluster within ``max_source_distance`` pixels (else
        no detection, flagged).
    alpha
        False-alarm rate per scene on plume-free white noise.
    z_mask
        Smoothed z-score above which pixels connected to a seed join the mask.
    detrend
        Compute the z-scores against a plane fitted to the background pixels rather than
        their median (the rates still use the median; for benchmarks).
    standardise
        Divide the smoothed z-scores by their spread over the scene
        (:func:`smoothed_spread`), so that thresholds hold on spatially correlated noise.
        False: the white-noise normalisation alone (openmrv before issue 18).
    local_test
        With a known ``source``, test for a seed only near it (Bonferroni over the valid
        pixels within ``max_source_distance``) rather than over the whole scene.
    mask_on
        ``"smoothed"``: the mask is grown on the 3 x 3-averaged z (above ``z_mask``);
        ``"pixel"``: on each pixel's own z (above ``z_mask``), the seed test still on the
        averaged z. The mask is then the pixel cluster holding (or nearest to) the source
        pixel, else the seed cluster's peak.
    rate_background
        The background IME and CSF take enhancements against: ``"median"`` (the scene's
        robust median, one value) or ``"plane"`` (a plane fitted to the background pixels
        away from the mask, i.e. outside it widened by one pixel, evaluated under it; the
        median where fewer than 10 such pixels remain).
    """
    x = np.asarray(scene, float)
    if x.ndim != 2:
        raise InputError(f"scene has shape {x.shape}; expected 2-D (rows, cols)", field="xch4")
    if not 0 < alpha < 1:
        raise InputError(f"alpha must be in (0, 1), got {alpha}", field="alpha")
    if mask_on not in ("smoothed", "pixel"):
        raise InputError(f"mask_on must be 'smoothed' or 'pixel', not {mask_on!r}", field="mask_on")
    if rate_background not in ("median", "plane"):
        raise InputError(
            f"rate_background must be 'median' or 'plane', not {rate_background!r}",
            field="rate_background",
        )
    valid = np.isfinite(x)
    if not valid.any():
        raise InputError("the scene holds no valid pixel (all NaN)", field="xch4")
    bg, spread, used = robust_background(x, clip)
    if noise is None:
        ret = np.zeros_like(x)
    else:
        ret = np.broadcast_to(np.asarray(noise, float), x.shape).copy()
        ret[~np.isfinite(ret)] = np.nan
    med_ret = float(np.nanmedian(ret[valid])) if np.isfinite(ret[valid]).any() else 0.0
    excess2 = max(spread**2 - med_ret**2, 0.0)
    ret = np.where(np.isfinite(ret), ret, med_ret)
    sigma = np.sqrt(ret**2 + excess2)
    if not np.all(sigma[valid] > 0):
        raise InputError("zero noise and zero background spread: cannot test significance")
    ref = background_plane(x, used) if detrend else bg
    z = np.where(valid, (x - ref) / np.where(sigma > 0, sigma, 1.0), np.nan)
    zf = np.where(valid, z, 0.0)
    kern = np.ones((3, 3))
    zsum = ndimage.convolve(zf, kern, mode="constant", cval=0.0)
    cnt = ndimage.convolve(valid.astype(float), kern, mode="constant", cval=0.0)
    zs = np.where(valid, zsum / np.sqrt(np.maximum(cnt, 1.0)), np.nan)
    spread_zs = smoothed_spread(zs) if standardise else 1.0
    zs = zs / spread_zs
    n = int(valid.sum())
    # standardise="mask": the seeds keep the white-noise test (benchmark variant)
    seed_scale = spread_zs if standardise == "mask" else 1.0
    z_seed = float(norm.isf(alpha / n)) / seed_scale
    n_bg = int(used.sum())
    se = float(np.sqrt(np.pi / 2) * spread / np.sqrt(n_bg))  # s.e. of a median
    labels, nlab = ndimage.label(np.nan_to_num(zs, nan=-np.inf) > z_mask, structure=np.ones((3, 3)))
    seeds = [
        lab
        for lab in range(1, nlab + 1)
        if np.nanmax(np.where(labels == lab, zs, -np.inf)) > z_seed
    ]
    if source is not None:
        r, c = source
        if not (0 <= r < x.shape[0] and 0 <= c < x.shape[1]):
            raise InputError(f"source pixel {source} lies outside the scene {x.shape}")
    if source is not None and local_test:
        # a known source: the test is local (Bonferroni over the pixels near it only)
        rr, cc = np.indices(x.shape)
        near = valid & ((rr - r) ** 2 + (cc - c) ** 2 <= max_source_distance**2)
        z_local = float(norm.isf(alpha / max(int(near.sum()), 1))) / seed_scale
        local = {
            int(lab)
            for lab in np.unique(labels[near & (np.nan_to_num(zs, nan=-np.inf) > z_local)])
            if lab > 0
        }
        others = [lab for lab in seeds if lab not in local]
        seeds = sorted(local) + others
    flags: list[str] = []
    det = Detection(
        detected=False,
        mask=np.zeros(x.shape, bool),
        background=bg,
        background_sigma=spread,
        background_se=se,
        n_background=n_bg,
        z=z,
        z_smooth=zs,
        sigma=sigma,
        z_seed=z_seed,
        z_mask=z_mask,
        alpha=alpha,
        source=source,
        flags=flags,
    )
    if not seeds:
        flags.append("no significant enhancement")
        return det
    if source is not None:
        lab = _nearest_label(labels, seeds, (r, c))
        rr, cc = np.indices(x.shape)
        sel = labels == lab
        d = np.sqrt(np.min((rr[sel] - r) ** 2 + (cc[sel] - c) ** 2))
        if d > max_source_distance:
            flags.append(f"no significant plume within {max_source_distance} pixels of the source")
            return det
    else:
        lab = max(seeds, key=lambda k: float(np.nansum(np.where(labels == k, zs, 0.0))))
    mask = labels == lab
    if mask_on == "pixel":
        mask = _pixel_mask(z, z_mask, mask, zs, source, max_source_distance)
    source_given = source is not None
    if source is None:
        idx = np.nanargmax(np.where(mask, zs, -np.inf))
        source = (int(idx // x.shape[1]), int(idx % x.shape[1]))
    det.detected = True
    det.mask = mask
    det.source = (int(source[0]), int(source[1]))
    if rate_background == "plane":
        away = used & ~ndimage.binary_dilation(mask) & valid
        if away.sum() >= 10:
            det.background_field = background_plane(x, away)
    det.background_structure = background_structure(
        x, mask, used, bg, spread, int(parameter("background_ring_pixels", "pixel"))
    )
    edge = np.zeros(x.shape, bool)
    edge[0, :] = edge[-1, :] = edge[:, 0] = edge[:, -1] = True
    if (mask & edge).any():
        flags.append("plume mask touches the scene edge: rate is a lower bound")
    r, c = det.source
    if r in (0, x.shape[0] - 1) or c in (0, x.shape[1] - 1):
        flags.append("source pixel at the scene edge")
    for k in seeds:
        sel = labels == k
        i = int(np.nanargmax(np.where(sel, zs, -np.inf)))
        det.clusters.append(
            {
                "pixels": int(sel.sum()),
                "peak": (i // x.shape[1], i % x.shape[1]),
                "peak_z": float(zs.flat[i]),
                "quantified": bool(k == lab),
            }
        )
    if len(seeds) > 1:
        which = "the one at the source pixel" if source_given else "the strongest"
        others = ", ".join(str(cl["peak"]) for cl in det.clusters if not cl["quantified"])
        flags.append(
            f"{len(seeds)} significant clusters in the scene; quantified {which} "
            f"{det.source}; not quantified: the others peaking at {others} (row, col)"
        )
    return det


def split_mask(
    mask: np.ndarray,
    x_m: np.ndarray,
    y_m: np.ndarray,
    own_xy: tuple[float, float],
    others_xy,
    wind: tuple[float, float],
    pixel_size: float,
) -> tuple[np.ndarray, int]:
    """The part of a plume mask that belongs to the source at ``own_xy`` when other known
    sources (``others_xy``, [(x, y)] in the same metres) lie in the scene.

    Each mask pixel goes to the source whose plume most plausibly holds it: among the
    sources it lies downwind of (along-wind distance a >= -1 pixel), the one with the
    smallest crosswind distance c relative to the plume's half-width at that distance,
    c / (pixel_size + tan_spread * max(a, 0)) (``plume_spread_tan`` in
    ``data/parameters.csv``); a pixel downwind of no source stays with its own.

    Returns (the own source's mask, the number of pixels given to other sources).
    """
    others = np.asarray(list(others_xy), float).reshape(-1, 2)
    if not mask.any() or not len(others):
        return mask.copy(), 0
    u, v = (float(w) for w in wind)
    speed = float(np.hypot(u, v))
    if speed == 0:
        raise InputError("zero wind: cannot split plumes of neighbouring sources", field="wind")
    e = np.array([u, v]) / speed
    tan = parameter("plume_spread_tan", "1")
    srcs = np.vstack([np.asarray(own_xy, float)[None, :], others])
    px, py = x_m[mask], y_m[mask]
    dx = px[None, :] - srcs[:, 0:1]
    dy = py[None, :] - srcs[:, 1:2]
    along = dx * e[0] + dy * e[1]
    cross = np.abs(dx * e[1] - dy * e[0])
    score = cross / (pixel_size + tan * np.maximum(along, 0.0))
    score[along < -pixel_size] = np.inf
    best = np.argmin(score, axis=0)
    best[~np.isfinite(score.min(axis=0))] = 0
    keep = best == 0
    out = np.zeros_like(mask)
    out[mask] = keep
    return out, int((~keep).sum())
