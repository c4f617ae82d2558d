"""Approach 2: Monte Carlo propagation of input uncertainties (2006 GL Vol 1 Ch 3.2.3.2).

Every factor row and every activity series has a stated distribution (normal,
lognormal, triangular or uniform, from its 95 % interval). Each draw samples them and
re-evaluates every estimate through :meth:`Estimate.simulate`.

Correlation, as the Guidelines ask: a factor row is **one** random variable wherever it
is used (all years, all categories that share it); an activity value is drawn
independently in each year (Vol 1 Table 3.2 note: activity data uncorrelated between
years). Draws are seeded: the stream of each factor and each series is derived from
``(seed, chunk, id)``, so for a given seed and chunk size the results do not depend on
the order the chunks run in, on how many workers run them, or on what else is sampled.
Draws run in chunks and each chunk is folded into streaming summaries
(:mod:`openmrv.estimate.inventory.mcstream`: sums, and fixed histograms whose percentiles
are within a stated bound of :func:`numpy.percentile`), then dropped: memory does not grow
with the number of draws. With a ``dask.distributed`` client the chunks run on its
workers.

Sampled values are truncated at zero: all inputs here are non-negative physical quantities.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from openmrv.categories import ancestors
from openmrv.constants import DATA, table_value
from openmrv.errors import InputError
from openmrv.estimate.inventory.engine import Estimate, InventoryResult, Series
from openmrv.estimate.inventory.mcstream import StreamingSummary
from openmrv.factors import DISTRIBUTIONS, Factor
from openmrv.gwp import gwp
from openmrv.settings import DEFAULT_SEED

Z95 = 1.959963984540054  # standard normal quantile of 97.5 % (mathematical constant)


@dataclass(frozen=True)
class Spread:
    """A quantity's distribution from its central value and 95 % interval.

    Either ``low``/``high`` (absolute bounds) or ``pct`` (half-width in % of ``value``).
    """

    value: float
    distribution: str
    low: float | None = None
    high: float | None = None
    pct: float | None = None

    def __post_init__(self) -> None:
        if self.distribution not in DISTRIBUTIONS:
            raise InputError(
                f"unknown distribution '{self.distribution}'; use one of "
                f"{', '.join(DISTRIBUTIONS)}",
                field="distribution",
            )
        if self.pct is not None and self.pct < 0:
            raise InputError(f"negative uncertainty {self.pct} %", field="uncertainty_pct")
        if self.pct is None and (self.low is None or self.high is None):
            raise InputError(
                "no uncertainty given: need low and high, or a percentage", field="uncertainty_pct"
            )

    def bounds(self) -> tuple[float, float]:
        """Lower and upper 95 % bounds."""
        if self.pct is not None:
            h = abs(self.value) * self.pct / 100.0
            return self.value - h, self.value + h
        assert self.low is not None and self.high is not None
        return self.low, self.high

    def ratios(self, rng: np.random.Generator, n: int, out: np.ndarray | None = None) -> np.ndarray:
        """``n`` sampled values divided by the central value (1 where the value is 0).

        ``out``, a float64 buffer of at least ``n`` values, is used for normal and
        lognormal draws (the same numbers: numpy draws the same stream into it); the
        result may then be a view of it.
        """
        v = self.value
        if v == 0:
            return np.ones(n)
        lo, hi = self.bounds()
        # in place (the same operations, in the same order, as v + sd * z etc.)
        if self.distribution == "normal":
            x = rng.standard_normal(n) if out is None else rng.standard_normal(out=out[:n])
            x *= (hi - lo) / (2 * Z95)
            x += v
        elif self.distribution == "lognormal":
            if lo > 0 and hi > 0:
                s = (np.log(hi) - np.log(lo)) / (2 * Z95)
            else:  # only the upper side is usable on a log scale
                s = np.log(hi / v) / Z95
            x = rng.standard_normal(n) if out is None else rng.standard_normal(out=out[:n])
            x *= s
            np.exp(x, out=x)
            x *= v
        elif self.distribution == "triangular":
            lo, hi = min(lo, v), max(hi, v)
            x = np.full(n, v) if hi == lo else rng.triangular(lo, v, hi, n)
        else:  # uniform
            x = np.full(n, v) if hi == lo else rng.uniform(lo, hi, n)
        x = np.asarray(x, float)
        np.maximum(x, 0.0, out=x)
        if v != 1.0:  # activity spreads are stated as ratios (value 1): x / 1 is x
            x /= v
        return x


def factor_spread(f: Factor) -> Spread:
    """The distribution a factor row states."""
    return Spread(f.value, f.distribution, f.low, f.high, f.uncertainty_pct)


@dataclass
class ActivityUncertainty:
    """Activity-data uncertainty by (category, activity, key); ``*`` in key matches any key
    and a category matches its sub-categories (the most specific row wins).

    ``table`` has columns category, activity, key, uncertainty_pct, distribution, source.
    """

    table: pd.DataFrame
    file: str = "activity_uncertainty.csv"

    def spread(self, series: Series) -> Spread:
        # (category, activity, key) -> the spread found: the table is read once per
        # series, not once per series and chunk (kept in the instance's __dict__, not a
        # field: dask rebuilds dataclasses from their fields)
        found_before: dict = self.__dict__.setdefault("_found", {})
        ident = (series.category, series.activity, series.key)
        if ident in found_before:
            return found_before[ident]
        t = self.table
        best, score = None, -1
        for r in t.itertuples():
            if r.activity != series.activity or r.key not in ("*", series.key):
                continue
            if not (series.category == r.category or series.category.startswith(r.category + ".")):
                continue
            s = r.category.count(".") * 2 + (r.key != "*")
            if s > score:
                best, score = r, s
        if best is None:
            raise InputError(
                f"no uncertainty for activity series {series.label}; add a row "
                "(category, activity, key, uncertainty_pct, distribution, source)",
                file=self.file,
                field="uncertainty_pct",
            )
        found = Spread(1.0, best.distribution, pct=float(best.uncertainty_pct))
        found_before[ident] = found
        return found

    def pct(self, series: Series) -> float:
        """Half-width of the 95 % interval [%]."""
        sp = self.spread(series)
        return float(sp.pct or 0.0)


def _stream(seed: int, chunk: int, ident: str) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, chunk, zlib.crc32(ident.encode())]))


def report_categories(result: InventoryResult) -> list[str]:
    """Default categories whose distributions are kept: the total, sectors, level 2, 1.B.2."""
    cat = result.dataset.attrs["cat"]
    with_numbers = {e.category for e in result.estimates}
    with_numbers |= {a for c in list(with_numbers) for a in ancestors(c)}
    codes = [str(c) for c in result.dataset[cat].values if str(c) in with_numbers]
    return [c for c in codes if c == "0" or c.count(".") <= 1 or c in ("1.B.2",)]


def _run_chunk(
    estimates: Sequence[Estimate],
    uncertainty: ActivityUncertainty,
    years: tuple[int, int],
    report: Sequence[str],
    gwp_set: str,
    pairs: Sequence[tuple[str, str]],
    n: int,
    seed: int,
    chunk: int,
) -> tuple[np.ndarray, np.ndarray]:
    """One chunk of draws: CO2e [Gg] of each report category in the base and latest year,
    shape (n, categories, 2), and each (category, gas) of ``pairs`` in the latest year in
    the gas's own mass [Gg], shape (n, pairs); float32."""
    # category-major accumulators: each estimate is added into a contiguous block (the
    # same additions in the same order as into (n, categories, 2), so the same sums)
    out = np.zeros((len(report), n, 2))
    by_gas = np.zeros((len(pairs), n))
    index = {c: i for i, c in enumerate(report)}
    pair_index = {p: i for i, p in enumerate(pairs)}
    factor_cache: dict[str, np.ndarray] = {}
    spreads = {}
    # the two reported years of each activity series, drawn once per chunk: estimates of
    # several gases share a series, and its stream gives the same numbers every time
    column_cache: dict[tuple[str, int, tuple[int, ...]], np.ndarray] = {}

    def factor_ratio(f: Factor) -> np.ndarray:
        if f.id not in factor_cache:
            factor_cache[f.id] = factor_spread(f).ratios(_stream(seed, chunk, f.id), n)[:, None]
        return factor_cache[f.id]

    buffer: list[np.ndarray] = []  # reused for the series cut to two columns at once

    def draw_activity(s: Series, reuse: bool = False) -> np.ndarray:
        key = s.label
        if key not in spreads:
            spreads[key] = uncertainty.spread(s)
        rng = _stream(seed, chunk, "activity:" + key)
        size = n * s.years.size
        if reuse and (not buffer or buffer[0].size < size):
            buffer[:] = [np.empty(size)]
        out = buffer[0] if reuse else None
        return spreads[key].ratios(rng, size, out).reshape(n, s.years.size)

    # (not calling itself: a function in its own closure is a reference cycle, which
    # would keep each chunk's arrays until the garbage collector runs)
    def activity_ratio(s: Series, columns: Sequence[int] | None = None) -> np.ndarray:
        if columns is None:
            return draw_activity(s)
        ident = (s.label, s.years.size, tuple(columns))
        if ident not in column_cache:
            column_cache[ident] = draw_activity(s, reuse=True)[:, list(columns)]  # a copy
        return column_cache[ident]

    activity_ratio.takes_columns = True  # type: ignore[attr-defined]
    for est in estimates:
        if est.model is not None:
            buffer.clear()  # not held while a model (e.g. first-order decay) works
        cols = [int(np.flatnonzero(est.series.years == y)[0]) for y in years]
        sim = est.simulate(factor_ratio, activity_ratio, cols)  # (n, 2): the two years
        co2e = sim * gwp(est.gas, gwp_set)
        for code in (est.category, *ancestors(est.category)):
            if code in index:
                out[index[code]] += co2e
            if (code, est.gas) in pair_index:
                by_gas[pair_index[(code, est.gas)]] += sim[:, 1]
    return out.transpose(1, 0, 2).astype(np.float32), by_gas.T.astype(np.float32)


@dataclass
class MonteCarloResult:
    """Approach 2 results: summaries of the draws (the draws themselves are not kept)."""

    categories: list[str]
    years: tuple[int, int]
    n_draws: int
    seed: int
    seconds: float
    gwp_set: str
    #: (category, gas) pairs of ``gas_summary``
    gas_pairs: list[tuple[str, str]]
    #: per category and year (base, latest): CO2e [Gg]
    summary: pd.DataFrame
    #: per (category, gas), latest year, in the gas's own mass [Gg]
    gas_summary: pd.DataFrame
    trend: pd.DataFrame
    convergence: dict[str, float]
    #: largest error bound of any percentile reported, relative to that column's
    #: 95 % interval width (:mod:`openmrv.estimate.inventory.mcstream`)
    quantile_bound: float = 0.0
    #: memory the streaming summaries held [byte]
    summary_bytes: int = 0


def _stats(st: StreamingSummary, col: int, where: str) -> dict[str, float]:
    mean = float(st.mean()[col])
    lo, med, hi = st.percentiles(col, (2.5, 50.0, 97.5), where)
    return {
        "mean": mean,
        "median": med,
        "p2.5": lo,
        "p97.5": hi,
        "minus_pct": 100 * (mean - lo) / mean if mean else np.nan,
        "plus_pct": 100 * (hi - mean) / mean if mean else np.nan,
    }


def convergence(x: np.ndarray) -> dict[str, float]:
    """Stability of the 2.5/97.5 percentiles when the draws double: the first half of the
    draws against all of them (relative change, %)."""
    half = x[: x.size // 2]
    return _convergence(
        [float(v) for v in np.percentile(half, [2.5, 97.5])],
        [float(v) for v in np.percentile(x, [2.5, 97.5])],
    )


def _convergence(half: list[float], full: list[float]) -> dict[str, float]:
    out = {}
    for name, a, b in zip(("p2.5", "p97.5"), half, full, strict=True):
        out[f"{name}_change_pct"] = float(100 * abs(a - b) / abs(b)) if b else 0.0
    out["converged_1pct"] = float(max(out.values()) < 1.0)
    return out


def _columns(draws: np.ndarray, gas_draws: np.ndarray) -> np.ndarray:
    """One chunk as the summary's columns: CO2e per category and year, per (category,
    gas), and each category's change from the base to the latest year [%]."""
    d = draws.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        change = 100.0 * (d[:, :, 1] - d[:, :, 0]) / d[:, :, 0]
    n = d.shape[0]
    return np.concatenate([d.reshape(n, -1), gas_draws.astype(float), change], axis=1)


def draw_chunks(
    result: InventoryResult,
    uncertainty: ActivityUncertainty,
    gwp_set: str,
    years: tuple[int, int],
    report: Sequence[str],
    pairs: Sequence[tuple[str, str]],
    n_draws: int,
    chunk_size: int,
    seed: int,
    client=None,
) -> Iterator[tuple[int, int, np.ndarray, np.ndarray]]:
    """The draws chunk by chunk: (chunk number, index of its first draw, CO2e draws
    (n, categories, 2), per-gas draws (n, pairs)), float32. Chunk 0 comes first; with a
    dask ``client`` the others come in the order they finish."""
    sizes = [min(chunk_size, n_draws - i) for i in range(0, n_draws, chunk_size)]
    starts = np.cumsum([0, *sizes])
    args = (list(result.estimates), uncertainty, years, report, gwp_set, pairs)
    if client is None:
        for k, n in enumerate(sizes):
            yield (k, int(starts[k]), *_run_chunk(*args, n, seed, k))
        return
    from distributed import as_completed

    scattered = client.scatter(list(args), broadcast=True)
    futures = {
        client.submit(_run_chunk, *scattered, n, seed, k, pure=False): k
        for k, n in enumerate(sizes)
    }
    first = next(f for f, k in futures.items() if k == 0)
    yield (0, 0, *first.result())
    first.release()
    for fut in as_completed([f for f in futures if f is not first]):
        k = futures[fut]
        yield (k, int(starts[k]), *fut.result())
        fut.release()


def approach2(
    result: InventoryResult,
    uncertainty: ActivityUncertainty,
    gwp_set: str,
    years: tuple[int, int],
    n_draws: int = 100_000,
    chunk_size: int = 20_000,
    seed: int = DEFAULT_SEED,
    categories: Sequence[str] | None = None,
    client=None,
    progress: Callable[[int, int], None] | None = None,
) -> MonteCarloResult:
    """Monte Carlo uncertainty of an inventory (Approach 2), in memory bounded by the
    chunk size (the draws are summarised chunk by chunk, :mod:`.mcstream`).

    Parameters
    ----------
    result
        The inventory whose estimates are propagated.
    uncertainty
        Activity-data uncertainties.
    gwp_set
        GWP set for CO2-equivalents.
    years
        Base year and latest year.
    n_draws, chunk_size
        Number of draws and draws per chunk (memory ~ chunk_size x years x 8 bytes per
        series while a chunk runs, plus the summaries' fixed histograms).
    seed
        Seed of the whole run: the same seed (and chunk size) gives the same draws.
    categories
        Categories whose distributions are kept (default: :func:`report_categories`).
    client
        Optional ``dask.distributed.Client``: chunks run on its workers.
    progress
        Called with (chunks done, chunks in all).
    """
    if n_draws < 2:
        raise InputError("n_draws must be at least 2", field="n_draws")
    cap = int(table_value(DATA / "case_limits.csv", "mc_draws_max"))
    if n_draws > cap:
        raise InputError(
            f"{n_draws} Monte Carlo draws exceed the limit of {cap} (mc_draws_max in "
            "data/case_limits.csv); ask for fewer draws",
            field="draws",
        )
    report = list(categories or report_categories(result))
    for est in result.estimates:  # fail early on missing uncertainties, naming the series
        uncertainty.spread(est.series)
        for f in est.factors:
            factor_spread(f)
    t0 = time.perf_counter()
    report_set = set(report)
    pairs = sorted(
        {
            (code, est.gas)
            for est in result.estimates
            for code in (est.category, *ancestors(est.category))
            if code in report_set
        }
    )
    n_chunks = -(-n_draws // chunk_size)
    nc, npairs = len(report), len(pairs)
    total = 2 * report.index("0") + 1 if "0" in report else 1  # column of the total, latest
    half = n_draws // 2
    st = half_st = None
    chunks = draw_chunks(
        result, uncertainty, gwp_set, years, report, pairs, n_draws, chunk_size, seed, client
    )
    for done, (k, start, draws, gas_draws) in enumerate(chunks, start=1):
        bad = ~np.isfinite(draws).all(axis=(0, 2))
        for j in np.flatnonzero(bad)[:1]:
            check_finite(draws[:, j, :], report[j])
        cols = _columns(draws, gas_draws)
        if st is None:
            st = StreamingSummary(cols, n_chunks)
            half_st = StreamingSummary(cols[:, [total]], n_chunks)
        st.add(k, cols)
        half_st.add(k, cols[: max(0, half - start), [total]])
        if progress is not None:
            progress(done, n_chunks)
        # drop this chunk's arrays before the next chunk is drawn (the loop names would
        # otherwise hold them while it runs)
        del draws, gas_draws, cols
    assert st is not None and half_st is not None
    rows = [
        _stats(st, 2 * i + j, f"{code} {year}") | {"category": code, "year": year}
        for i, code in enumerate(report)
        for j, year in enumerate(years)
    ]
    summary = pd.DataFrame(rows)[
        ["category", "year", "mean", "median", "p2.5", "p97.5", "minus_pct", "plus_pct"]
    ]
    grows = [
        _stats(st, 2 * nc + i, f"{code} {gas}") | {"category": code, "gas": gas, "year": years[1]}
        for i, (code, gas) in enumerate(pairs)
    ]
    gas_summary = pd.DataFrame(
        grows,
        columns=[
            *("category", "gas", "year", "mean", "median"),
            *("p2.5", "p97.5", "minus_pct", "plus_pct"),
        ],
    )
    trows, means = [], st.mean()
    for i, code in enumerate(report):
        c = 2 * nc + npairs + i
        if st.n[c]:
            lo, hi = st.percentiles(c, (2.5, 97.5), f"the trend of {code}")
            trows.append(
                {
                    "category": code,
                    "trend_mean_pct": float(means[c]),
                    "trend_p2.5_pct": lo,
                    "trend_p97.5_pct": hi,
                }
            )
    conv = _convergence(
        half_st.percentiles(0, (2.5, 97.5), "the total (half the draws)"),
        st.percentiles(total, (2.5, 97.5), "the total"),
    )
    return MonteCarloResult(
        report,
        years,
        n_draws,
        seed,
        time.perf_counter() - t0,
        gwp_set,
        pairs,
        summary,
        gas_summary,
        pd.DataFrame(trows),
        conv,
        _bound(st),
        st.nbytes() + half_st.nbytes(),
    )


def _bound(st: StreamingSummary) -> float:
    """The largest bin width of any column relative to its 95 % interval width."""
    out = 0.0
    for c in range(st.columns):
        if st.n[c] and st.max[c] > st.min[c]:
            lo, hi = st.percentiles(c, (2.5, 97.5))
            if hi > lo:
                out = max(out, float(st.width[c] / (hi - lo)))
    return out


def check_finite(values: np.ndarray, category: str) -> None:
    """Raise if the draws of ``category`` hold inf or NaN (a guard: the readers' plausible
    ranges keep every input far from overflow, ``data/plausible_ranges.csv``)."""
    values = np.asarray(values)
    if not np.isfinite(values).all():
        raise InputError(
            f"Monte Carlo draws of category {category} are not finite (overflow or NaN); "
            "check its activity data and factors for an implausibly large or missing number",
            field="category",
        )
