"""The notation keys a case declares (NO, NE, NA, IE, C with an explanation each, as the
ETF asks), read and checked."""

from __future__ import annotations

import pandas as pd

from openmrv.case import NOTATION_COLUMNS, Case, _read_csv
from openmrv.categories import check_code
from openmrv.dataformat import NOTATION_KEYS
from openmrv.errors import CaseError
from openmrv.gases import ALL_GASES, FGASES


def read_notation_keys(case: Case) -> pd.DataFrame:
    """Notation keys the case declares (category, gas, key, explanation)."""
    if case.notation_file is None:
        return pd.DataFrame(columns=list(NOTATION_COLUMNS))
    rows = []
    for line, rec in _read_csv(case.notation_file, NOTATION_COLUMNS):
        rec["category"] = check_code(
            rec["category"], case.category_system, file=str(case.notation_file), row=line
        )
        if rec["notation_key"] not in NOTATION_KEYS:
            raise CaseError(
                f"notation key '{rec['notation_key']}' unknown; use one of "
                f"{', '.join(NOTATION_KEYS)}",
                file=case.notation_file,
                row=line,
                field="notation_key",
            )
        if rec["gas"] not in ALL_GASES:
            raise CaseError(
                f"gas '{rec['gas']}' unknown; use CO2, CH4, N2O or an HFC of {', '.join(FGASES)}",
                file=case.notation_file,
                row=line,
                field="gas",
            )
        if not rec["explanation"]:
            raise CaseError(
                "every notation key needs an explanation (ETF requirement)",
                file=case.notation_file,
                row=line,
                field="explanation",
            )
        rows.append(rec)
    return pd.DataFrame(rows, columns=list(NOTATION_COLUMNS))
