"""Annual emissions of plume sites from a year's detections: a Monte Carlo over every
assumption, with the assumptions shared by all sites drawn once per draw (common errors).

A site (a facility, or a 0.2-degree cell for unattributed plumes,
:func:`openmrv.verify.plumes.site_of`) with plumes on n days of a year, mean rate R
[t/h] and N days on which the satellite had a valid view of it emits, annualised as
Lauvaux et al. (2022) and Schuit et al. (2023) do for persistent sources,

    E = R x p x 8760 h / 1000   [kt/yr],   p = n / N   (detection frequency)

(a plume seen at the overpass is taken to last that day; days without a valid view are
taken to be like days with one). The terms and their uncertainty
(``data/plume_annualisation.csv``):

- N, valid-view days: unknown for a catalogue. Per site it lies between a lower bound from
  the data (the days with any plume in the site's coverage region: a valid view of the
  region on each of them, ``valid_view_fraction_low``) and the cited upper bound
  ``valid_view_fraction_high`` (58.6 % of days, Gao et al. 2023). One quantile u ~ U(0, 1)
  per draw places *every* site in its range: the error is common to all sites, so the
  sum's interval grows linearly with the number of sites, not as its square root. For
  openmrv's own scenes N is known (the days searched) and not drawn.
- p: binomial sampling of the detection days, per site and independent: Beta(n, N - n),
  the posterior under Haldane's prior, whose mean is the central n / N (every site has
  n >= 1; Jeffreys' Beta(n + 1/2, N - n + 1/2) would add half a detection to each site,
  a bias of 50 % for the many sites seen once).
- R: the mean of the site's plume rates, per site and independent: normal with the rates'
  own 1-sigma (each plume's, over n) and the spread between plumes, cut at zero.

Coverage: a site whose lower bound on N is below the ``insufficient coverage`` threshold of
``data/verdicts.csv`` (16 valid views, from binomial statistics) is listed but not
annualised (its annual columns are empty). :func:`sensitivity_table` gives the central sum
with each assumption at its low and its high value, the others at their central values.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from openmrv.runfolder import COVERAGE_MIN_VALID_VIEWS
from openmrv.verify.plumes import DAYS_PER_YEAR, HOURS_PER_YEAR, assumptions, site_of
from openmrv.verify.topdown import Z95

#: per-site columns of :func:`site_statistics`
SITE_COLUMNS = (
    "facility_id",
    "attributed",
    "detections",
    "days_detected",
    "mean_rate_t_per_h",
    "mean_rate_sigma_t_per_h",
    "region_days",
    "valid_days_low",
    "valid_days_high",
)


#: a site detected on every valid day (N = n): Beta(n, ~0), p = 1
_TINY = 1e-9


def _a(name: str) -> dict[str, float]:
    return assumptions()[name]


def _rates(g: pd.DataFrame) -> tuple[float, float]:
    """Mean rate of a site's plumes and its 1-sigma [t/h]: the plumes' own errors over n,
    and the spread between plumes (the sampling of an intermittent source), in quadrature."""
    rates = g["rate_t_per_h"].to_numpy(float)
    sd = float(np.sqrt((g["rate_sigma_t_per_h"].to_numpy(float) ** 2).sum()) / len(g))
    if len(g) > 1:
        sd = float(np.hypot(sd, rates.std(ddof=1) / np.sqrt(len(g))))
    return float(rates.mean()), sd


def region_key(plumes: pd.DataFrame, region_deg: float) -> pd.Series:
    """The coverage region of each plume: a ``region_deg`` grid cell."""
    lat = np.floor(plumes["lat"].to_numpy(float) / region_deg).astype(int)
    lon = np.floor(plumes["lon"].to_numpy(float) / region_deg).astype(int)
    return pd.Series([f"{a}/{b}" for a, b in zip(lat, lon, strict=True)], index=plumes.index)


def site_statistics(
    plumes: pd.DataFrame,
    year: int,
    region_deg: float | None = None,
    valid_views: float | None = None,
) -> pd.DataFrame:
    """Per site of one year: detections, days with a plume (n), mean rate and its 1-sigma,
    and the range of valid-view days [valid_days_low, valid_days_high].

    Parameters
    ----------
    plumes
        time, lat, lon, rate_t_per_h, rate_sigma_t_per_h, facility_id ('' unattributed).
    year
        The year.
    region_deg
        Coverage region [degree] (default ``coverage_region_deg``): the lower bound of a
        site's valid-view days is the number of days with any plume in its region.
    valid_views
        The valid-view days when known (openmrv's own scenes: the days searched); both
        bounds then equal it and the region is not used.
    """
    region_deg = float(region_deg or _a("coverage_region_deg")["value"])
    sel = plumes[pd.DatetimeIndex(plumes["time"]).year == year].reset_index(drop=True)
    if sel.empty:
        return pd.DataFrame(columns=list(SITE_COLUMNS))
    days = pd.Series(pd.DatetimeIndex(sel["time"]).normalize(), index=sel.index)
    region = region_key(sel, region_deg)
    region_days = days.groupby(region).nunique()
    high = DAYS_PER_YEAR * _a("valid_view_fraction_high")["value"]
    rows = []
    for fid, g in sel.groupby(site_of(sel)):
        n = int(days[g.index].nunique())
        mean, sd = _rates(g)
        d_region = int(region_days[region[g.index]].max())
        if valid_views is not None:
            low = hi = float(valid_views)
        else:
            low, hi = float(max(d_region, n)), max(high, float(max(d_region, n)))
        rows.append((fid, not str(fid).startswith("cell "), len(g), n, mean, sd, d_region, low, hi))
    return pd.DataFrame(rows, columns=list(SITE_COLUMNS))


def covered(sites: pd.DataFrame) -> np.ndarray:
    """Sites whose valid views (lower bound) reach the coverage threshold."""
    return sites["valid_days_low"].to_numpy(float) >= COVERAGE_MIN_VALID_VIEWS


def _valid_days(sites: pd.DataFrame, u) -> np.ndarray:
    low = sites["valid_days_low"].to_numpy(float)
    high = sites["valid_days_high"].to_numpy(float)
    return low + np.asarray(u, dtype=float)[..., None] * (high - low)


def central(
    sites: pd.DataFrame,
    quantile: float | None = None,
    rate_shift: float = 0.0,
    frequency_quantile: float | None = None,
) -> np.ndarray:
    """Annual emission per site [kt/yr] with every assumption at a fixed value.

    Parameters
    ----------
    quantile
        Where each site's valid-view days lie in their range (default: the table's
        central ``valid_view_fraction_quantile``, 0.5).
    rate_shift
        Rates moved by this many 1-sigma (cut at zero).
    frequency_quantile
        The detection frequency at this quantile of its Beta posterior (default n / N).
    """
    q = _a("valid_view_fraction_quantile")["value"] if quantile is None else quantile
    n_days = _valid_days(sites, q)
    n = sites["days_detected"].to_numpy(float)
    if frequency_quantile is None:
        p = n / n_days
    else:
        p = stats.beta.ppf(frequency_quantile, n, np.maximum(n_days - n, _TINY))
    rate = np.clip(
        sites["mean_rate_t_per_h"].to_numpy(float)
        + rate_shift * sites["mean_rate_sigma_t_per_h"].to_numpy(float),
        0.0,
        None,
    )
    return rate * p * HOURS_PER_YEAR / 1000.0


def simulate(
    sites: pd.DataFrame,
    draws: int | None = None,
    seed: int | None = None,
    *,
    detection_sampling: bool = True,
    rate_errors: bool = True,
    view_share: bool = True,
) -> np.ndarray:
    """Monte Carlo draws of the annual emission of each site [kt/yr], shape (draws, sites).

    The valid-view quantile is one number per draw shared by all sites; the detection
    frequency (Beta) and the mean rate (normal, cut at zero) are independent per site.
    ``detection_sampling``, ``rate_errors`` and ``view_share`` switch those terms off
    (their central values instead): for checks against closed forms and for the share of
    the interval each term makes (:func:`sensitivity_table`).
    """
    draws = int(draws or _a("annualisation_draws")["value"])
    seed = int(_a("annualisation_seed")["value"] if seed is None else seed)
    rng = np.random.default_rng(seed)
    k = len(sites)
    u = rng.uniform(0.0, 1.0, size=draws)  # shared by all sites
    if not view_share:
        u = np.full(draws, _a("valid_view_fraction_quantile")["value"])
    n_days = _valid_days(sites, u)
    n = sites["days_detected"].to_numpy(float)
    if detection_sampling:
        p = rng.beta(n, np.maximum(n_days - n, _TINY), size=(draws, k))
    else:
        p = n / n_days
    mean = sites["mean_rate_t_per_h"].to_numpy(float)
    sd = sites["mean_rate_sigma_t_per_h"].to_numpy(float)
    rate = (
        rng.normal(mean, sd, size=(draws, k)) if rate_errors else np.broadcast_to(mean, (draws, k))
    )
    return np.clip(rate, 0.0, None) * p * HOURS_PER_YEAR / 1000.0


@dataclass
class Annual:
    """Sites with their annual emission (central, Monte Carlo median and 95 % interval;
    empty where coverage is insufficient) and the sum over the covered sites."""

    sites: pd.DataFrame
    #: value_kt (all assumptions central), median_kt, low_kt, high_kt (2.5 / 97.5 %),
    #: sigma_kt ((high - low) / (2 x 1.96), a symmetric summary), valid_views (fewest
    #: valid-view days among the covered sites), sites, sites_not_annualised
    total: dict[str, float]
    #: the Monte Carlo draws [kt/yr], shape (draws, covered sites), one column per
    #: ``draw_sites`` entry: sums over any subset of sites keep the shared assumptions'
    #: correlation (:mod:`openmrv.verify.improvement`)
    draws: np.ndarray | None = None
    draw_sites: tuple[str, ...] = ()


def annualise_sites(sites: pd.DataFrame, **mc) -> Annual:
    """Central values and Monte Carlo intervals of each covered site and of their sum."""
    out = sites.copy()
    ok = covered(sites) if len(sites) else np.zeros(0, bool)
    out["coverage"] = np.where(ok, "sufficient", "insufficient")
    cols = ("detection_frequency", "annual_kt", "annual_median_kt", "annual_low_kt",
            "annual_high_kt", "annual_sigma_kt")  # fmt: skip
    for c in cols:
        out[c] = np.nan
    total = {"value_kt": np.nan, "median_kt": np.nan, "low_kt": np.nan, "high_kt": np.nan,
             "sigma_kt": np.nan, "valid_views": np.nan, "sites": int(ok.sum()),
             "sites_not_annualised": int((~ok).sum())}  # fmt: skip
    if ok.any():
        cov = sites[ok].reset_index(drop=True)
        mid = _valid_days(cov, _a("valid_view_fraction_quantile")["value"])
        draw = simulate(cov, **mc)
        lo, med, hi = np.percentile(draw, [2.5, 50.0, 97.5], axis=0)
        vals = central(cov)
        out.loc[ok, "detection_frequency"] = cov["days_detected"].to_numpy(float) / mid
        out.loc[ok, "annual_kt"] = vals
        out.loc[ok, "annual_median_kt"] = med
        out.loc[ok, "annual_low_kt"] = lo
        out.loc[ok, "annual_high_kt"] = hi
        out.loc[ok, "annual_sigma_kt"] = (hi - lo) / (2 * Z95)
        s_lo, s_med, s_hi = np.percentile(draw.sum(axis=1), [2.5, 50.0, 97.5])
        total.update(
            value_kt=float(vals.sum()),
            median_kt=float(s_med),
            low_kt=float(s_lo),
            high_kt=float(s_hi),
            sigma_kt=float((s_hi - s_lo) / (2 * Z95)),
            valid_views=float(cov["valid_days_low"].min()),
        )
    out = out.sort_values("annual_kt", ascending=False, na_position="last", ignore_index=True)
    if not ok.any():
        return Annual(out, total)
    return Annual(out, total, draw, tuple(str(f) for f in cov["facility_id"]))


def sensitivity_table(plumes: pd.DataFrame, year: int, evidence: str) -> pd.DataFrame:
    """The annual sum [kt/yr] as each assumption moves, the others central
    (``plume_annualisation_sensitivity.csv``).

    Shared assumptions (one value for all sites) are set to their low and high values.
    Per-site independent terms have no single low or high value: their row gives the 2.5
    and 97.5 % points of the sum with only that term drawn (settings 0.025, 0.975).
    """
    a = assumptions()
    sites = site_statistics(plumes, year)
    cov = sites[covered(sites)].reset_index(drop=True)
    base = float(central(cov).sum())

    def shared(**kw) -> float:
        return float(central(cov, **kw).sum())

    def regional(deg: float) -> float:
        s = site_statistics(plumes, year, region_deg=deg)
        return float(central(s[covered(s)]).sum())

    def alone(**on) -> tuple[float, float]:
        flags = {"detection_sampling": False, "rate_errors": False, "view_share": False}
        draw = simulate(cov, **{**flags, **on}).sum(axis=1)
        lo, hi = np.percentile(draw, [2.5, 97.5])
        return float(lo), float(hi)

    reg = a["coverage_region_deg"]
    src = "verify/data/plume_annualisation.csv"
    rows = [
        ("valid-view share of each site (quantile in its range; 0 = its lower bound from the "
         "data, 1 = 58.6 % of days, Gao et al. 2023)", True, 0.0, 1.0, shared(quantile=0.0),
         shared(quantile=1.0), src + ": valid_view_fraction_low, _high, _quantile"),
        ("coverage region for the valid-view lower bound [degree]", True, reg["low"],
         reg["high"], regional(reg["low"]), regional(reg["high"]),
         src + ": coverage_region_deg"),
        ("plume rates (per site, independent: the sum's 2.5 / 97.5 % with only this term "
         "drawn)", False, 0.025, 0.975, *alone(rate_errors=True),
         "the catalogue's per-plume 1-sigma and the spread between a site's plumes"),
        ("detection frequency (per site, independent binomial sampling: the sum's 2.5 / "
         "97.5 % with only this term drawn)", False, 0.025, 0.975,
         *alone(detection_sampling=True), "binomial: posterior Beta(n, N - n) (Haldane prior)"),
    ]  # fmt: skip
    return pd.DataFrame(
        [(evidence, year, r[0], r[1], r[2], r[3], base, r[4], r[5], r[6]) for r in rows],
        columns=[
            "evidence",
            "year",
            "assumption",
            "shared",
            "low_setting",
            "high_setting",
            "central_kt",
            "result_low_kt",
            "result_high_kt",
            "source",
        ],
    )
