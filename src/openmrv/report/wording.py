"""Words the report uses for codes: one category code system (CRT codes, with the IPCC 2006
code in brackets where it differs, e.g. "5 Waste (IPCC 4)"), GWP sets named in words
("IPCC AR5, 100-year"), and the total that leaves LULUCF out named as such."""

from __future__ import annotations

import re

from openmrv.report.crt import CRTMappingError, _names, map_category

_GWP = re.compile(r"^(SAR|AR\d)(GWP|GTP)(\d+)$")
_REPORTS = {"SAR": "SAR (Second Assessment Report)"}
#: What the CRT's "Total" row is when sector 4 (LULUCF) holds no number.
TOTAL_WITHOUT_LULUCF = "Total without LULUCF (LULUCF not estimated)"


def gwp_words(code: str) -> str:
    """A GWP set in words with its code: ``AR5GWP100`` -> ``IPCC AR5, 100-year GWP
    (AR5GWP100)``. A code of another shape is returned as it is."""
    m = _GWP.match(str(code))
    if m is None:
        return str(code)
    report, metric, horizon = m.groups()
    return f"IPCC {_REPORTS.get(report, report)}, {horizon}-year {metric} ({code})"


def crt_label(ipcc_code: str) -> str:
    """The CRT code(s) and name(s) of an IPCC 2006 category, the IPCC code in brackets
    where it differs: ``4`` -> ``5 Waste (IPCC 4)``, ``3`` -> ``3 Agriculture + 4 Land
    use, land-use change and forestry (IPCC 3)``, ``1.A`` -> ``1.A Fuel combustion
    activities (sectoral approach)``. A code without a CRT mapping is given as
    ``IPCC <code>``."""
    if str(ipcc_code) == "0":  # the national total of the IPCC tree
        return "Total"
    try:
        targets = map_category(str(ipcc_code)).crt
    except CRTMappingError:
        return f"IPCC {ipcc_code}"
    names = _names()
    text = " + ".join(f"{c} {names.get(c, '')}".strip() for c in targets)
    return text if targets == (str(ipcc_code),) else f"{text} (IPCC {ipcc_code})"
