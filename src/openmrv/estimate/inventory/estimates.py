"""What the inventory engine works on and returns: activity series, estimates, the result."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr

from openmrv.factors import Factor


@dataclass
class Series:
    """One activity series on the inventory's years (NaN where not given)."""

    category: str
    activity: str
    key: str
    years: np.ndarray
    values: np.ndarray
    unit: str
    flags: np.ndarray
    refs: list[str]
    source: str

    @property
    def label(self) -> str:
        return f"{self.category} / {self.activity} / {self.key or '-'}"


RatioOf = Callable[[Factor], np.ndarray]
ActivityRatioOf = Callable[["Series"], np.ndarray]
Model = Callable[[RatioOf, ActivityRatioOf], np.ndarray]


@dataclass
class Estimate:
    """Emissions of one gas in one category, one value per year of the series [Gg gas / yr].

    ``tier`` is given per year (an int is expanded); ``factors`` lists each factor row
    used, once.
    """

    category: str
    gas: str
    values: np.ndarray
    tier: np.ndarray | int
    method: str
    equation: str
    factors: list[Factor]
    series: Series
    #: the factor rows used in each year, where they differ between years
    per_year: list[tuple[Factor, ...]] | None = None
    #: how the estimate responds to its inputs, for Monte Carlo (Approach 2); None means
    #: a product of the activity and all its (non-stoichiometric) factors
    model: Model | None = None

    def simulate(
        self,
        factor_ratio: RatioOf,
        activity_ratio: ActivityRatioOf,
        columns: Sequence[int] | None = None,
    ) -> np.ndarray:
        """Emissions for sampled inputs: shape (draws, years of the series), or (draws,
        len(columns)) for the years at ``columns`` only.

        Parameters
        ----------
        factor_ratio
            Maps a factor row to its sampled value over its central value, shape (draws, 1).
        activity_ratio
            Maps an activity series to its sampled values over the reported ones,
            shape (draws, years). If it has a true attribute ``takes_columns``, it is
            also called as ``activity_ratio(series, columns)`` for those columns alone,
            shape (draws, len(columns)), and must give the same numbers as the columns
            of the full draw (the result is not modified here, so it may be cached).
        columns
            Indices of the years wanted (the Monte Carlo needs two); the same numbers as
            those columns of the full result, computed only for them where the estimate
            is a product (every input is still drawn, so the random streams are unchanged).
        """
        if self.model is not None:
            sim = self.model(factor_ratio, activity_ratio)
            return sim if columns is None else sim[:, list(columns)]
        cols = slice(None) if columns is None else list(columns)
        if columns is None:
            a = activity_ratio(self.series)
        elif getattr(activity_ratio, "takes_columns", False):
            a = activity_ratio(self.series, cols)  # the columns alone (may be cached)
        else:
            a = activity_ratio(self.series)[:, cols]
        out = self.values[None, cols] * a  # a new array: multiplied in place below
        if self.per_year is None:
            for f in self.factors:
                if f.parameter not in STOICHIOMETRIC:
                    out *= factor_ratio(f)
            return out
        used_by_year = self.per_year if columns is None else [self.per_year[i] for i in columns]
        ratios = np.ones_like(out)
        for i, used in enumerate(used_by_year):
            for f in used:
                if f.parameter not in STOICHIOMETRIC:
                    ratios[:, i] *= factor_ratio(f)[:, 0]
        return out * ratios

    def __post_init__(self) -> None:
        self.tier = np.broadcast_to(
            np.asarray(self.tier, dtype=int), self.series.years.shape
        ).copy()
        self.factors = list(dict.fromkeys(self.factors))


@dataclass
class InventoryResult:
    """What the engine returns."""

    dataset: xr.Dataset
    estimates: list[Estimate]
    reference_approach: pd.DataFrame
    gap_filling: pd.DataFrame
    informational: list[Series] = field(default_factory=list)

    def records(self) -> pd.DataFrame:
        """One row per category, gas and year, with tier, method and factor citations."""
        rows = []
        first = int(self.dataset["time"].dt.year.min())
        for est in self.estimates:
            per_year = est.per_year or [tuple(est.factors)] * len(est.series.years)
            for y, v, flag, tier, used in zip(
                est.series.years, est.values, est.series.flags, est.tier, per_year, strict=True
            ):
                if y < first:  # history kept for first-order decay, not reported
                    continue
                fids = ";".join(f.id for f in used)
                cites = " | ".join(sorted({f.citation() for f in used}))
                rows.append(
                    {
                        "category": est.category,
                        "gas": est.gas,
                        "year": int(y),
                        "value_Gg": float(v),
                        "tier": int(tier),
                        "method": est.method,
                        "equation": est.equation,
                        "activity": est.series.activity,
                        "key": est.series.key,
                        "activity_flag": flag,
                        "factors": fids,
                        "factor_sources": cites,
                        "activity_source": est.series.source,
                    }
                )
        return pd.DataFrame(rows)


#: Physical constants (molecular-weight ratios): they never change the tier of an estimate.
STOICHIOMETRIC = frozenset({"C_to_CO2", "urea_C_fraction", "N2ON_to_N2O", "C_to_CH4"})
