"""The CRT summaries' memo row "total without LULUCF": where sector 4 (land use, land-use
change and forestry) holds numbers, the CRT ``Total`` row is emissions and removals, and the
ETF also asks for the total without sector 4 (decision 5/CMA.3 annex I, Summary 2 memo
rows). See :func:`openmrv.report.crt.total_without_lulucf` for the same from a dataset."""

from __future__ import annotations

from typing import Any

import pandas as pd

#: code and label of the CRT summaries' memo row, the total without LULUCF (sector 4)
WITHOUT_LULUCF = "Total without LULUCF"
WITHOUT_LULUCF_NAME = (
    "Total CO2 equivalent emissions without land use, land-use change and forestry"
)


#: the CRT sectors other than LULUCF (4), whose sum is the total without LULUCF
OTHER_SECTORS = ("1", "2", "3", "5", "6")


def _sum(cells: list[Any]) -> Any:
    """Sum of the numbers among ``cells``, or ``None`` where there is none."""
    nums = [v for v in cells if isinstance(v, float)]
    return float(sum(nums)) if nums else None


def with_memo_without_lulucf(frame: pd.DataFrame) -> pd.DataFrame:
    """Add, where sector 4 (LULUCF) holds a number in some year, the CRT memo row "total
    without LULUCF" after each year's rows: the sum of the numbers of sectors 1, 2, 3, 5
    and 6, column by column, empty where none has a number (the ``Total`` row itself is
    then emissions and removals)."""
    if frame.empty:
        return frame
    values = [c for c in frame.columns if c not in ("year", "code", "category")]
    sector = frame[frame["code"] == "4"]
    if not any(isinstance(v, float) for c in values for v in sector[c]):
        return frame
    out = []
    for _year, grp in frame.groupby("year", sort=False):
        out.append(grp)
        memo = grp[grp["code"] == "Total"].iloc[0].copy()
        memo["code"], memo["category"] = WITHOUT_LULUCF, WITHOUT_LULUCF_NAME
        others = grp[grp["code"].isin(OTHER_SECTORS)]
        for c in values:
            memo[c] = _sum(list(others[c]))
        out.append(memo.to_frame().T)
    result = pd.concat(out, ignore_index=True).astype(object)
    result = result.where(result.notna(), None)
    result.attrs.update(frame.attrs)
    result.attrs["memo_rows"] = [WITHOUT_LULUCF]
    return result
