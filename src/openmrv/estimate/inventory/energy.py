"""Energy (1.A): fuel combustion, sectoral and reference approaches.

References
----------
IPCC (2006), 2006 IPCC Guidelines for National Greenhouse Gas Inventories, Vol. 2
Energy, Ch. 2 (Stationary Combustion), Ch. 3 (Mobile Combustion) and Ch. 6
(Reference Approach). https://www.ipcc-nggip.iges.or.jp/public/2006gl/vol2.html
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

# the fuel families (a classification) live in openmrv.fuels, below the layers that use them
from openmrv.fuels import FUEL_FAMILIES as FUEL_FAMILIES
from openmrv.fuels import fuel_family as fuel_family


def combustion_emissions(fuel_consumption: ArrayLike, emission_factor: ArrayLike) -> np.ndarray:
    """Emissions of one gas from one fuel burnt in one source category (Tier 1 and 2).

    .. math:: E_{gas,fuel} = FC_{fuel} \\cdot EF_{gas,fuel}

    (2006 GL Vol 2 Ch 2 Eq. 2.1 and 2.2; Ch 3 Eq. 3.2.1 for road transport CO2.)
    Tier 1 uses the default factors of Tables 1.4 and 2.2-2.5; Tier 2 the same
    equation with country-specific factors.

    Parameters
    ----------
    fuel_consumption
        Fuel combusted [TJ].
    emission_factor
        Default or country-specific emission factor [kg gas / TJ].

    Returns
    -------
    numpy.ndarray
        Emissions [kg gas].
    """
    return np.asarray(fuel_consumption, dtype=float) * np.asarray(emission_factor, dtype=float)


def mass_to_energy(fuel_mass: ArrayLike, ncv: ArrayLike) -> np.ndarray:
    """Fuel consumption in energy units from mass and net calorific value.

    Parameters
    ----------
    fuel_mass
        Fuel consumed [Gg].
    ncv
        Net calorific value [TJ / Gg] (2006 GL Vol 2 Ch 1 Table 1.2).

    Returns
    -------
    numpy.ndarray
        Fuel consumed [TJ].
    """
    return np.asarray(fuel_mass, dtype=float) * np.asarray(ncv, dtype=float)


def reference_approach_co2(
    apparent_consumption: ArrayLike,
    carbon_content: ArrayLike,
    excluded_carbon: ArrayLike,
    c_to_co2: float,
    oxidation_factor: ArrayLike = 1.0,
) -> np.ndarray:
    """CO2 from fuel combustion by the reference approach (2006 GL Vol 2 Ch 6 Eq. 6.1).

    .. math::
        CO_2 = \\left(AC \\cdot CC \\cdot 10^{-3} - \\text{Excluded carbon}\\right)
               \\cdot COF \\cdot \\tfrac{44}{12}

    Parameters
    ----------
    apparent_consumption
        Apparent consumption of the fuel (production + imports - exports -
        international bunkers - stock change) [TJ].
    carbon_content
        Carbon content [kg C / GJ] = [t C / TJ] (Vol 2 Ch 1 Table 1.3).
    excluded_carbon
        Carbon in feedstocks and non-energy use, excluded from fuel combustion [Gg C].
    c_to_co2
        Molecular-weight ratio CO2/C (44/12) [Gg CO2 / Gg C], from the stoichiometry table.
    oxidation_factor
        Fraction of carbon oxidised (1 by default in the 2006 GL) [-].

    Returns
    -------
    numpy.ndarray
        CO2 emissions [Gg CO2].
    """
    carbon = np.asarray(apparent_consumption, float) * np.asarray(carbon_content, float) * 1e-3
    return (
        (carbon - np.asarray(excluded_carbon, float))
        * np.asarray(oxidation_factor, float)
        * c_to_co2
    )
