"""Fuel families of IPCC 2006 Vol 2 Ch 1 Table 1.1 (liquid, solid, gaseous): a
classification of openmrv's fuel keys, used by the reference approach
(:mod:`openmrv.estimate.inventory.energy`) and by the CRT background tables
(:mod:`openmrv.report.crt_background`). Kept here, below both layers."""

from __future__ import annotations

#: Fuel families of Vol 2 Ch 1 Table 1.1 (liquid, solid, gaseous): the reference
#: approach (Ch 6) counts crude oil where the sectoral approach counts its products,
#: so the two are compared per family. A classification, not a coefficient.
FUEL_FAMILIES: dict[str, str] = {
    **dict.fromkeys(
        (
            "crude_oil",
            "orimulsion",
            "natural_gas_liquids",
            "motor_gasoline",
            "aviation_gasoline",
            "jet_gasoline",
            "jet_kerosene",
            "other_kerosene",
            "shale_oil",
            "gas_diesel_oil",
            "residual_fuel_oil",
            "lpg",
            "ethane",
            "naphtha",
            "bitumen",
            "lubricants",
            "petroleum_coke",
            "refinery_feedstocks",
            "refinery_gas",
            "paraffin_waxes",
            "white_spirit_sbp",
            "other_petroleum_products",
        ),
        "liquid",
    ),
    **dict.fromkeys(
        (
            "anthracite",
            "coking_coal",
            "other_bituminous_coal",
            "sub_bituminous_coal",
            "lignite",
            "oil_shale_tar_sands",
            "brown_coal_briquettes",
            "patent_fuel",
            "coke_oven_coke_lignite_coke",
            "gas_coke",
            "coal_tar",
            "peat",
        ),
        "solid",
    ),
    **dict.fromkeys(
        (
            "natural_gas",
            "gas_works_gas",
            "coke_oven_gas",
            "blast_furnace_gas",
            "oxygen_steel_furnace_gas",
        ),
        "gaseous",
    ),
}


def fuel_family(fuel: str) -> str:
    """Family (liquid, solid, gaseous) of a fuel key; ``other`` when not a fossil fuel."""
    return FUEL_FAMILIES.get(fuel, "other")
