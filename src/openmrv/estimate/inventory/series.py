"""Activity series on the inventory years: gap filling and splices (Vol 1 Ch 5)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from openmrv.errors import CaseError
from openmrv.estimate.inventory import (
    timeseries,
)
from openmrv.estimate.inventory.estimates import (
    Series,
)
from openmrv.estimate.inventory.registry import (
    HANDLERS,
    HISTORY_YEARS,
    INFORMATIONAL,
    needs_history,
)
from openmrv.settings import InventorySettings

#: a proxy series used only to splice another by the surrogate method (Vol 1 Ch 5.3.3.2):
#: not estimated and not gap-filled (its years are those the source gives)
PROXY = "surrogate_proxy"
INFORMATIONAL[PROXY] = (
    "a surrogate series (e.g. the USSR's FAOSTAT stocks to 1991) that another series is "
    "spliced to (Vol 1 Ch 5.3.3.2, Eq. 5.2); not estimated"
)


def _on(grp: pd.DataFrame, yrs: np.ndarray) -> np.ndarray:
    """A series' values on the years ``yrs`` (NaN where it has none)."""
    values = np.full(yrs.size, np.nan)
    sel = grp[(grp["year"] >= yrs[0]) & (grp["year"] <= yrs[-1])]
    values[sel["year"].to_numpy() - yrs[0]] = sel["value"].to_numpy(float)
    return values


def _log_flags(
    log: list[dict], cat: str, act: str, key: str, yrs: np.ndarray, flags: np.ndarray
) -> None:
    for y, f in zip(yrs, flags, strict=True):
        if f:
            log.append(
                {
                    "category": cat,
                    "activity": act,
                    "key": key,
                    "year": int(y),
                    "flag": f,
                    "technique": timeseries.FLAGS[f],
                }
            )


def _check_years(grp: pd.DataFrame, cat: str, act: str, settings: InventorySettings) -> None:
    """Rows outside the case's years are an error (a typo such as 20011 would else be
    dropped and its year filled by interpolation), except years before the first that
    the series' method declares it needs (``registry.HISTORY_YEARS``)."""
    history = needs_history(cat, act)
    first, last = settings.first_year, settings.last_year
    bad = grp[(grp["year"] > last) | ((grp["year"] < first) & (not history))]
    if bad.empty:
        return
    row = bad.iloc[0]
    allowed = f"{first}..{last}"
    raise CaseError(
        f"year {int(row['year'])} is outside the case's years {allowed} (case.yaml 'years'); "
        f"correct the year, widen 'years', or remove the row"
        + (
            ""
            if history
            else f" (only methods that need history, such as first-order decay of "
            f"{', '.join(f'{a} under {c}' for c, a in sorted(HISTORY_YEARS))}, take years "
            f"before {first})"
        ),
        file=str(row["file"]),
        row=int(row["line"]),
        field="year",
    )


def build_series(
    activity: pd.DataFrame, settings: InventorySettings
) -> tuple[dict[tuple[str, str, str], Series], pd.DataFrame]:
    """Put activity rows on the inventory years, filling gaps as the case allows.

    Years before the first inventory year are kept for methods that declare they need
    history (first-order decay, ``registry.HISTORY_YEARS``); any other row outside the
    case's years is an error.

    Raises
    ------
    CaseError
        If a series has years missing and ``gap_filling`` does not allow filling them,
        or mixes units.
    """
    out: dict[tuple[str, str, str], Series] = {}
    log: list[dict] = []
    groups = {k: g for k, g in activity.groupby(["category", "activity", "key"], sort=False)}
    consumed = {ref for method, ref in settings.splices.values() if method == "overlap"}
    for (cat, act, key), grp in groups.items():
        if (cat, act, key) in consumed:  # an older vintage spliced into another series
            continue
        units = grp["unit"].unique()
        first_file = f"{grp['file'].iloc[0]}"
        if act not in HANDLERS and act not in INFORMATIONAL and not cat.startswith("1.B.2"):
            known = sorted([*HANDLERS, *INFORMATIONAL])
            raise CaseError(
                f"unknown activity '{act}'; known: {', '.join(known)}",
                file=first_file,
                row=int(grp["line"].iloc[0]),
                field="activity",
            )
        _check_years(grp, cat, act, settings)
        if len(units) > 1:
            odd = grp[grp["unit"] != units[0]].iloc[0]
            raise CaseError(
                f"series {cat}/{act}/{key} mixes units {list(units)}; use one unit per series",
                file=str(odd["file"]),
                row=int(odd["line"]),
                field="unit",
            )
        start = min(int(grp["year"].min()), settings.first_year)
        yrs = np.arange(start, settings.last_year + 1)
        values = _on(grp, yrs)
        flags = np.full(yrs.size, "", dtype=object)
        if (cat, act, key) in settings.splices:
            method, ref = settings.splices[(cat, act, key)]
            other = groups.get(ref)
            if other is None:
                raise CaseError(
                    f"gap_filling: series {'/'.join(ref)} (the {method} reference of "
                    f"{cat}/{act}/{key or '-'}) is not in the activity data",
                    file=str(settings.config_file),
                    field="gap_filling",
                )
            before = np.isnan(values)
            try:
                if method == "overlap":
                    values, flags = timeseries.overlap(_on(other, yrs), values)
                else:
                    values, flags = timeseries.surrogate(values, _on(other, yrs))
            except ValueError as exc:
                raise CaseError(
                    f"gap_filling {method} of {cat}/{act}/{key or '-'}: {exc}",
                    file=str(settings.config_file),
                    field="gap_filling",
                ) from None
            flags = np.where(before, flags, "")
            _log_flags(log, cat, act, key, yrs, flags)
        spliced = flags.copy()
        missing = yrs[np.isnan(values) & (yrs >= settings.first_year)]
        if missing.size and act != PROXY:
            if settings.gap_filling == "none":
                raise CaseError(
                    f"series {cat}/{act}/{key or '-'} has no value for year(s) "
                    f"{', '.join(map(str, missing[:10]))}{' ...' if missing.size > 10 else ''};"
                    " add them, or set 'gap_filling: interpolate' (or "
                    "'interpolate+extrapolate') in case.yaml to splice them (Vol 1 Ch 5)",
                    file=first_file,
                    field="year",
                )
            values, flags = timeseries.interpolate(yrs, values)
            if settings.gap_filling == "interpolate+extrapolate":
                values, eflags = timeseries.extrapolate_trend(yrs, values)
                flags = np.where(np.isin(eflags, ("E", "C")), eflags, flags)
            still = yrs[np.isnan(values) & (yrs >= settings.first_year)]
            if still.size:
                raise CaseError(
                    f"series {cat}/{act}/{key or '-'} cannot be interpolated for "
                    f"{', '.join(map(str, still[:10]))} (outside reported years); set "
                    "'gap_filling: interpolate+extrapolate' or add the years",
                    file=first_file,
                    field="year",
                )
            _log_flags(log, cat, act, key, yrs, flags)
        flags = np.where(spliced != "", spliced, flags)
        refs = [f"{r.file}:{r.line}" for r in grp.itertuples()]
        out[(cat, act, key)] = Series(
            cat,
            act,
            key,
            yrs,
            values,
            str(units[0]),
            flags,
            refs,
            "; ".join(sorted(set(grp["source"]))),
        )
    return out, pd.DataFrame(
        log, columns=["category", "activity", "key", "year", "flag", "technique"]
    )
