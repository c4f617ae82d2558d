"""The report's words for codes (openmrv.report.wording) and where the report uses them."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from openmrv.report import btr
from openmrv.report.wording import TOTAL_WITHOUT_LULUCF, crt_label, gwp_words

from .test_btr import mini_run  # noqa: F401  (the module's run-folder fixture)


@pytest.mark.parametrize(
    ("ipcc", "label"),
    [
        # CRT sectors (decision 5/CMA.3 annex I): 3 agriculture, 4 LULUCF, 5 waste; IPCC 2006:
        # 3 AFOLU, 4 waste
        ("4", "5 Waste (IPCC 4)"),
        ("4.A", "5.A Solid waste disposal (IPCC 4.A)"),
        ("3", "3 Agriculture + 4 Land use, land-use change and forestry (IPCC 3)"),
        ("1.A", "1.A Fuel combustion activities (sectoral approach)"),
        ("2", "2 Industrial processes and product use"),
        ("0", "Total"),
    ],
)
def test_crt_label(ipcc, label):
    assert crt_label(ipcc) == label


def test_gwp_words():
    assert gwp_words("AR5GWP100") == "IPCC AR5, 100-year GWP (AR5GWP100)"
    assert gwp_words("AR4GWP20") == "IPCC AR4, 20-year GWP (AR4GWP20)"
    assert gwp_words("mine") == "mine"


def test_report_uses_one_code_system_and_names_its_total(mini_run):  # noqa: F811
    text = (mini_run / "report.html").read_text()
    assert "IPCC AR5, 100-year GWP" in text
    assert "Total national emissions (without LULUCF)" not in text
    summary = text[text.index("id='summary'") : text.index("id='trends'")]
    # the mini case estimates no LULUCF: its total is named for what it is
    assert TOTAL_WITHOUT_LULUCF in summary
    assert "Total national emissions and removals" not in summary


def test_key_category_table_uses_crt_codes(tmp_path):
    pd.DataFrame(
        {
            "category": ["4.A", "1.A.1", "3.A.1.a.i"],
            "gas": ["CH4", "CO2", "CH4"],
            "key_category": [True, True, False],
            "latest_year_Gg_CO2e": [900.0, 5000.0, 10.0],
            "level_a1_share": [0.1, 0.5, 0.001],
            "trend_a1_share": [0.1, 0.4, 0.0],
        }
    ).to_csv(tmp_path / "key_categories.csv", index=False)
    cells = re.findall(r"<tr>\s*<td>([^<]+)</td>", btr._key_categories(tmp_path))
    assert cells == ["5.A Solid waste disposal (IPCC 4.A)", "1.A.1 Energy industries"]


def test_empty_lulucf_row_names_the_total_without_lulucf(tmp_path):
    """An empty LULUCF row (None in crt.json, NaN once read) is not an estimate."""
    cols = ["year", "code", "category", "CO2 [kt CO2 eq]", "Total [kt CO2 eq]"]
    rows = []
    for year, tot in ((1990, 100.0), (2020, 150.0)):
        rows += [
            dict(zip(cols, [year, "Total", "Total", tot, tot], strict=True)),
            dict(zip(cols, [year, "4", "LULUCF", None, None], strict=True)),
        ]
    doc = {"gwp_set": "AR5GWP100", "tables": {"Summary2": {"columns": cols, "rows": rows}}}
    (tmp_path / "crt.json").write_text(json.dumps(doc))
    text = btr._summary(tmp_path)
    assert f"{TOTAL_WITHOUT_LULUCF}: 0.1 Mt CO2 eq in 2020, +50.0 % against 1990" in text
    assert "Total national emissions and removals" not in text
    rows[3]["CO2 [kt CO2 eq]"] = rows[3]["Total [kt CO2 eq]"] = -20.0  # LULUCF estimated
    (tmp_path / "crt.json").write_text(json.dumps(doc))
    assert "Total national emissions and removals: 0.1 Mt" in btr._summary(tmp_path)
