"""Evidence rows from a gridded satellite record's annual national CH4 estimates.

:func:`record_evidence` turns the per-year table of
:func:`openmrv.estimate.massbalance.record.estimate` into top-down rows (columns
:data:`openmrv.verify.evidence.EVIDENCE_COLUMNS` plus ``low_kt``, ``high_kt``,
``detectable``, ``detection_limit_kt``, ``sensitivity``, ``sensitivity_measure``):
category "0" (the national total of CH4), kind ``total``, osse False. The label follows
the evidence grammar "<source>: <detail>": the product, then the method; years before the
GOSAT series and part-years say so in the detail. ``sensitivity`` is the enhancement's
signal-to-noise ratio (measure ``xch4_snr`` of ``data/comparability.csv``): below the
detection threshold the comparison reads "not comparable (sensitivity too low)".
"""

from __future__ import annotations

import pandas as pd

from openmrv.verify.evidence import EVIDENCE_COLUMNS

#: the product's label (source part of the evidence label)
PRODUCT = "C3S XCH4 L3 OBS4MIPs merged v4.3"
#: the method's label (detail part)
METHOD = "mass balance (Buchwitz 2017)"
#: extra columns of the rows
EXTRA = (
    "low_kt",
    "high_kt",
    "detectable",
    "detection_limit_kt",
    "sensitivity",
    "sensitivity_measure",
)


def label(year: int, era: str, months: int, product: str = PRODUCT) -> str:
    """Evidence label for one year: "<product>: <method>[, SCIAMACHY only][, N months]"."""
    detail = METHOD
    if era == "SCIAMACHY":
        detail += ", SCIAMACHY only (before GOSAT)"
    if months < 12:
        detail += f", part year ({months} months)"
    return f"{product}: {detail}"


def record_evidence(annual: pd.DataFrame, product: str = PRODUCT) -> pd.DataFrame:
    """Top-down rows, one per year of ``annual`` (year, era, months, value_kt, sigma_kt,
    low_kt, high_kt, detection_limit_kt, detectable, snr)."""
    rows = []
    for r in annual.itertuples(index=False):
        rows.append(
            {
                "category": "0",
                "gas": "CH4",
                "year": int(r.year),
                "value_kt": float(r.value_kt),
                "sigma_kt": float(r.sigma_kt),
                "evidence": label(int(r.year), r.era, int(r.months), product),
                "kind": "total",
                "osse": False,
                "low_kt": float(r.low_kt),
                "high_kt": float(r.high_kt),
                "detectable": bool(r.detectable),
                "detection_limit_kt": float(r.detection_limit_kt),
                "sensitivity": float(r.snr),
                "sensitivity_measure": "xch4_snr",
            }
        )
    return pd.DataFrame(rows, columns=[*EVIDENCE_COLUMNS, *EXTRA])
